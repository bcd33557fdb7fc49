package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"

	"github.com/spindle-ml/spindle/table"
)

// AnyAggregator is an Aggregator with its partial type erased, for engines
// and workers that handle every aggregator alike. Erase makes one.
type AnyAggregator interface {
	Kernel
	ZeroAny() any
	FoldAny(ctx context.Context, info PartitionInfo, acc any, b *table.Batch) (any, error)
	MergeAny(a, b any) (any, error)
	EncodePartial(p any) ([]byte, error)
	DecodePartial(data []byte) (any, error)
	// Unwrap returns the typed aggregator (for encoding it).
	Unwrap() Kernel
}

type erased[P any] struct{ a Aggregator[P] }

// Erase wraps a typed aggregator as an AnyAggregator.
func Erase[P any](a Aggregator[P]) AnyAggregator { return erased[P]{a} }

func (e erased[P]) KernelName() string { return e.a.KernelName() }
func (e erased[P]) Unwrap() Kernel     { return e.a }
func (e erased[P]) ZeroAny() any       { return e.a.Zero() }
func (e erased[P]) FoldAny(ctx context.Context, info PartitionInfo, acc any, b *table.Batch) (any, error) {
	return e.a.Fold(ctx, info, acc.(P), b)
}
func (e erased[P]) MergeAny(a, b any) (any, error) { return e.a.Merge(a.(P), b.(P)) }
func (e erased[P]) EncodePartial(p any) ([]byte, error) {
	data, err := Marshal(p.(P))
	if err != nil {
		return nil, fmt.Errorf("encode partial of %s: %w", e.a.KernelName(), err)
	}
	return data, nil
}
func (e erased[P]) DecodePartial(data []byte) (any, error) {
	var p P
	if err := Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode partial of %s: %w", e.a.KernelName(), err)
	}
	return p, nil
}

type entry struct {
	typ  reflect.Type               // the registered kernel's type (often a pointer)
	wrap func(Kernel) AnyAggregator // nil for mappers
}

// registry maps kernel names to types. It is written only by Register and
// RegisterAggregator, which packages call from init functions, and read by
// workers: it is the same in every process running the same binary.
var registry sync.Map // string → entry

// Register records a Mapper kernel type under its KernelName, so that
// workers can decode it. Call it from an init function with a zero value.
// It panics on a duplicate name, a programming error found at start-up
// (as gob.Register does).
func Register(proto Mapper) { register(proto, nil) }

// RegisterReader records a SplitReader kernel type, as Register does.
func RegisterReader(proto SplitReader) { register(proto, nil) }

// RegisterAggregator records an Aggregator kernel type, as Register does.
func RegisterAggregator[P any](proto Aggregator[P]) {
	register(proto, func(k Kernel) AnyAggregator { return Erase(k.(Aggregator[P])) })
}

// RegisterAnyAggregator records a kernel that is its own AnyAggregator
// (one that erases its partials' type itself, as sched.Multi does for the
// aggregations it runs together), as Register does.
func RegisterAnyAggregator(proto AnyAggregator) {
	register(proto, func(k Kernel) AnyAggregator { return k.(AnyAggregator) })
}

func register(proto Kernel, wrap func(Kernel) AnyAggregator) {
	name := proto.KernelName()
	if _, dup := registry.LoadOrStore(name, entry{typ: reflect.TypeOf(proto), wrap: wrap}); dup {
		panic(fmt.Sprintf("engine: kernel %q registered twice", name))
	}
}

// CheckRegistered reports, as an error, a kernel whose type is not
// registered under its name: one a worker could not decode.
func CheckRegistered(k Kernel) error {
	if a, ok := k.(AnyAggregator); ok {
		k = a.Unwrap()
	}
	v, ok := registry.Load(k.KernelName())
	if !ok {
		return fmt.Errorf("kernel %q (%T) is not registered; call engine.Register or engine.RegisterAggregator in an init function", k.KernelName(), k)
	}
	if t := v.(entry).typ; t != reflect.TypeOf(k) {
		return fmt.Errorf("kernel %q is registered as %v but this value is %T", k.KernelName(), t, k)
	}
	return nil
}

// envelope is an encoded kernel: its registered name, then its fields.
type envelope struct {
	Name   string
	Kernel cbor.RawMessage
}

// Encode serializes a registered kernel: its name and every exported
// field, in the wire encoding (Marshal).
func Encode(k Kernel) ([]byte, error) {
	if a, ok := k.(AnyAggregator); ok {
		k = a.Unwrap()
	}
	if err := CheckRegistered(k); err != nil {
		return nil, err
	}
	payload, err := Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("encode kernel %s: %w", k.KernelName(), err)
	}
	out, err := Marshal(envelope{Name: k.KernelName(), Kernel: payload})
	if err != nil {
		return nil, fmt.Errorf("encode kernel %s: %w", k.KernelName(), err)
	}
	return out, nil
}

// Decode rebuilds a kernel written by Encode. An aggregator comes back as an
// AnyAggregator, a mapper as a Mapper.
func Decode(data []byte) (Kernel, error) {
	var env envelope
	if err := Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("decode kernel: %w", err)
	}
	v, ok := registry.Load(env.Name)
	if !ok {
		return nil, fmt.Errorf("decode kernel: %q is not registered in this binary", env.Name)
	}
	e := v.(entry)
	ptr := reflect.New(e.typ)
	if err := Unmarshal(env.Kernel, ptr.Interface()); err != nil {
		return nil, fmt.Errorf("decode kernel %s: %w", env.Name, err)
	}
	k, ok := ptr.Elem().Interface().(Kernel)
	if !ok || (e.typ.Kind() == reflect.Pointer && ptr.Elem().IsNil()) {
		return nil, fmt.Errorf("decode kernel %s: payload decodes to nothing", env.Name)
	}
	if e.wrap != nil {
		return e.wrap(k), nil
	}
	return k, nil
}

// MergeTree merges partials pairwise, neighbours first ((0,1), (2,3), …,
// then again over the results), and returns the total; with no partials it
// returns a.ZeroAny(). Every engine merges this way, so results agree.
func MergeTree(a AnyAggregator, partials []any) (any, error) {
	if len(partials) == 0 {
		return a.ZeroAny(), nil
	}
	for len(partials) > 1 {
		next := make([]any, 0, (len(partials)+1)/2)
		for i := 0; i < len(partials); i += 2 {
			if i+1 == len(partials) {
				next = append(next, partials[i])
				continue
			}
			m, err := a.MergeAny(partials[i], partials[i+1])
			if err != nil {
				return nil, fmt.Errorf("%s merge: %w", a.KernelName(), err)
			}
			next = append(next, m)
		}
		partials = next
	}
	return partials[0], nil
}

// TreeMerger merges partials as they arrive, in the same fixed tree as
// MergeTree (so the result is identical whatever the arrival order), and
// keeps only the nodes still waiting for a sibling: memory stays near
// (parallel folds) × log(partitions) partials instead of one per
// partition. It is safe for concurrent use.
type TreeMerger struct {
	a      AnyAggregator
	counts []int // nodes per level: counts[0] = partials
	mu     sync.Mutex
	nodes  map[[2]int]any
	result any
	done   bool
}

// NewTreeMerger prepares to merge n partials of a.
func NewTreeMerger(a AnyAggregator, n int) *TreeMerger {
	t := &TreeMerger{a: a, nodes: map[[2]int]any{}}
	for c := n; ; c = (c + 1) / 2 {
		t.counts = append(t.counts, c)
		if c <= 1 {
			break
		}
	}
	return t
}

// Add hands over partial i (0 ≤ i < n); each index once.
func (t *TreeMerger) Add(i int, p any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	level, j := 0, i
	for {
		if level == len(t.counts)-1 {
			t.result, t.done = p, true
			return nil
		}
		sib := j ^ 1
		if sib >= t.counts[level] { // the odd one out is carried up as is
			level, j = level+1, j/2
			continue
		}
		other, ok := t.nodes[[2]int{level, sib}]
		if !ok {
			t.nodes[[2]int{level, j}] = p
			return nil
		}
		delete(t.nodes, [2]int{level, sib})
		left, right := other, p
		if j < sib {
			left, right = p, other
		}
		m, err := t.a.MergeAny(left, right)
		if err != nil {
			return fmt.Errorf("%s merge: %w", t.a.KernelName(), err)
		}
		p, level, j = m, level+1, j/2
	}
}

// Result returns the total once every partial was added; with no
// partials, a.ZeroAny().
func (t *TreeMerger) Result() (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts[0] == 0 {
		return t.a.ZeroAny(), nil
	}
	if !t.done {
		return nil, fmt.Errorf("%s merge: %d partials still missing", t.a.KernelName(), len(t.nodes))
	}
	return t.result, nil
}

// KernelInfo describes one registered kernel type.
type KernelInfo struct {
	// Name is the kernel's registry key.
	Name string
	// Type is the registered Go type (often a pointer).
	Type reflect.Type
	// Aggregator reports whether the kernel was registered as one.
	Aggregator bool
}

// Kernels lists every kernel type registered in this binary, by name.
func Kernels() []KernelInfo {
	var out []KernelInfo
	registry.Range(func(k, v any) bool {
		e := v.(entry)
		out = append(out, KernelInfo{Name: k.(string), Type: e.typ, Aggregator: e.wrap != nil})
		return true
	})
	slices.SortFunc(out, func(a, b KernelInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// KernelType returns the Go type registered under name (often a
// pointer type).
func KernelType(name string) (reflect.Type, bool) {
	v, ok := registry.Load(name)
	if !ok {
		return nil, false
	}
	return v.(entry).typ, true
}
