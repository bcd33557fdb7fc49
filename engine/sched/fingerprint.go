package sched

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/maphash"
	"math"
	"reflect"
	"slices"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
	"github.com/spindle-ml/spindle/engine"
)

// Fingerprint returns a SHA-256 digest (hex) of what a kernel is: its
// registered name and every exported field, the parts Encode sends to a
// worker. Equal kernels give equal fingerprints in any process, unlike
// Encode's bytes, whose maps come out in random order: maps are hashed in
// key order, floats by their bits (so NaN parameters hash too).
// Distributed engines use it to name a pass's output so that a rerun can
// find what an earlier, interrupted run already computed.
func Fingerprint(k engine.Kernel) (string, error) {
	h := sha256.New()
	if err := hashKernel(h, k); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashKernel(h hash.Hash, k engine.Kernel) error {
	if a, ok := k.(engine.AnyAggregator); ok {
		k = a.Unwrap()
	}
	fmt.Fprintf(h, "%s\x00", k.KernelName())
	if f, ok := k.(fingerprinter); ok {
		return f.fingerprint(h)
	}
	if err := hashValue(h, reflect.ValueOf(k), 0); err != nil {
		return fmt.Errorf("fingerprint kernel %s: %w", k.KernelName(), err)
	}
	return nil
}

// fingerprinter is a kernel that hashes itself (Multi: the
// fingerprints of its members).
type fingerprinter interface {
	fingerprint(h hash.Hash) error
}

// quickKey is a fast, process-local 64-bit hash of what Fingerprint
// hashes (numbers written as their memory, not Fingerprint's portable
// layout): equal kernels get equal keys; unequal ones almost surely
// differ, and Lockstep confirms a match with Fingerprint. A kernel that
// cannot be fingerprinted reports false.
func quickKey(seed maphash.Seed, k engine.Kernel) (uint64, bool) {
	h := &rawHash{}
	h.SetSeed(seed)
	if hashKernel(h, k) != nil {
		return 0, false
	}
	return h.Sum64(), true
}

// rawHash is a maphash.Hash that hashNumbers feeds numeric slices as
// their memory, without re-encoding each element.
type rawHash struct{ maphash.Hash }

var (
	binaryMarshaler = reflect.TypeFor[encoding.BinaryMarshaler]()
	cborMarshaler   = reflect.TypeFor[cbor.Marshaler]()
)

// hashValue writes v to h unambiguously: a tag per kind, lengths before
// contents.
func hashValue(h hash.Hash, v reflect.Value, depth int) error {
	if depth > 64 {
		return fmt.Errorf("value nested deeper than 64 levels")
	}
	var num [8]byte
	putU := func(x uint64) {
		binary.LittleEndian.PutUint64(num[:], x)
		h.Write(num[:])
	}
	if !v.IsValid() {
		h.Write([]byte{0})
		return nil
	}
	t := v.Type()
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (t.Implements(cborMarshaler) || t.Implements(binaryMarshaler)) {
		var b []byte
		var err error
		if m, ok := v.Interface().(cbor.Marshaler); ok {
			b, err = m.MarshalCBOR()
		} else {
			b, err = v.Interface().(encoding.BinaryMarshaler).MarshalBinary()
		}
		if err != nil {
			return err
		}
		h.Write([]byte{1})
		putU(uint64(len(b)))
		h.Write(b)
		return nil
	}
	h.Write([]byte{byte(t.Kind()) + 2})
	switch t.Kind() {
	case reflect.Bool:
		if v.Bool() {
			putU(1)
		} else {
			putU(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		putU(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		putU(v.Uint())
	case reflect.Float32, reflect.Float64:
		putU(math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		putU(math.Float64bits(real(c)))
		putU(math.Float64bits(imag(c)))
	case reflect.String:
		putU(uint64(v.Len()))
		h.Write([]byte(v.String()))
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice {
			// A nil list and an empty one are different values (an
			// empty stop-word list is not the default list).
			if v.IsNil() {
				h.Write([]byte{0})
			} else {
				h.Write([]byte{1})
			}
		}
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			putU(uint64(v.Len()))
			h.Write(v.Bytes())
			return nil
		}
		if t.Kind() == reflect.Slice && v.CanInterface() && hashNumbers(h, v.Interface()) {
			return nil
		}
		putU(uint64(v.Len()))
		for i := range v.Len() {
			if err := hashValue(h, v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			h.Write([]byte{0})
		} else {
			h.Write([]byte{1})
		}
		// Each entry is hashed on its own; the entries go in the order
		// of their digests.
		entries := make([][]byte, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			eh := sha256.New()
			if err := hashValue(eh, it.Key(), depth+1); err != nil {
				return err
			}
			if err := hashValue(eh, it.Value(), depth+1); err != nil {
				return err
			}
			entries = append(entries, eh.Sum(nil))
		}
		slices.SortFunc(entries, func(a, b []byte) int { return slices.Compare(a, b) })
		putU(uint64(len(entries)))
		for _, e := range entries {
			h.Write(e)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			putU(0)
			return nil
		}
		putU(1)
		if t.Kind() == reflect.Interface {
			s := v.Elem().Type().String()
			putU(uint64(len(s)))
			h.Write([]byte(s))
		}
		return hashValue(h, v.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			putU(uint64(len(f.Name)))
			h.Write([]byte(f.Name))
			if err := hashValue(h, v.Field(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return fmt.Errorf("%s cannot be fingerprinted", t)
	}
	return nil
}

// hashNumbers hashes the common numeric slices (model weights, vectors)
// without reflection per element; it reports false for other types. The
// bytes written are those the reflective path would write.
func hashNumbers(h hash.Hash, x any) bool {
	if r, ok := h.(*rawHash); ok {
		return rawNumbers(r, x)
	}
	switch s := x.(type) {
	case []float64:
		hashSlice(h, s, reflect.Float64, math.Float64bits)
	case []float32:
		hashSlice(h, s, reflect.Float32, func(f float32) uint64 { return math.Float64bits(float64(f)) })
	case []int:
		hashSlice(h, s, reflect.Int, func(i int) uint64 { return uint64(i) })
	case []int64:
		hashSlice(h, s, reflect.Int64, func(i int64) uint64 { return uint64(i) })
	case []int32:
		hashSlice(h, s, reflect.Int32, func(i int32) uint64 { return uint64(i) })
	default:
		return false
	}
	return true
}

// hashSlice writes s as hashValue would: its length, then per element the
// kind's tag and the element's 64 bits.
func hashSlice[T any](h hash.Hash, s []T, kind reflect.Kind, bits func(T) uint64) {
	buf := make([]byte, 0, 8+9*len(s))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(s)))
	for _, v := range s {
		buf = append(buf, byte(kind)+2)
		buf = binary.LittleEndian.AppendUint64(buf, bits(v))
	}
	h.Write(buf)
}

// rawNumbers writes a numeric slice's length and memory to h (quickKey's
// layout); it reports false for other types.
func rawNumbers(h *rawHash, x any) bool {
	var n int
	var mem []byte
	switch s := x.(type) {
	case []float64:
		n, mem = len(s), bytesOf(s)
	case []float32:
		n, mem = len(s), bytesOf(s)
	case []int:
		n, mem = len(s), bytesOf(s)
	case []int64:
		n, mem = len(s), bytesOf(s)
	case []int32:
		n, mem = len(s), bytesOf(s)
	default:
		return false
	}
	var num [8]byte
	binary.LittleEndian.PutUint64(num[:], uint64(n))
	h.Write(num[:])
	h.Write(mem)
	return true
}

// bytesOf views a slice of numbers as its bytes (no copy).
func bytesOf[T float64 | float32 | int | int64 | int32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}
