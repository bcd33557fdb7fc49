package sched

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/fxamacker/cbor/v2"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAnyAggregator(&Multi{})
}

// Multi is several aggregations over one dataset in one pass: each
// partition is folded by every one of them, and partials are merged one
// aggregation at a time, in the same tree as alone, so each gets exactly
// the result it would get alone. NewMulti makes one; Split takes its
// result apart.
type Multi struct {
	// Kernels are the aggregations, encoded (Encode). They are filled in
	// only when the Multi itself is encoded (MarshalCBOR): an engine in this
	// process folds with the aggregations as they are.
	Kernels [][]byte

	aggs []engine.AnyAggregator
}

var (
	_ engine.AnyAggregator = (*Multi)(nil)
	_ cbor.Marshaler       = (*Multi)(nil)
	_ cbor.Unmarshaler     = (*Multi)(nil)
)

// NewMulti combines aggregations over the same dataset; each must be
// registered.
func NewMulti(aggs []engine.AnyAggregator) (*Multi, error) {
	for _, a := range aggs {
		if err := engine.CheckRegistered(a); err != nil {
			return nil, err
		}
	}
	return &Multi{aggs: aggs}, nil
}

// multiWire is a Multi's encoding.
type multiWire struct{ Kernels [][]byte }

// MarshalCBOR implements cbor.Marshaler: every aggregation, encoded.
func (m *Multi) MarshalCBOR() ([]byte, error) {
	w := multiWire{Kernels: make([][]byte, len(m.aggs))}
	for i, a := range m.aggs {
		var err error
		if w.Kernels[i], err = engine.Encode(a); err != nil {
			return nil, err
		}
	}
	data, err := engine.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode sched.Multi: %w", err)
	}
	return data, nil
}

// UnmarshalCBOR implements cbor.Unmarshaler: it rebuilds the
// aggregations (on a worker).
func (m *Multi) UnmarshalCBOR(data []byte) error {
	var w multiWire
	if err := engine.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode sched.Multi: %w", err)
	}
	m.Kernels = w.Kernels
	m.aggs = m.aggs[:0]
	for _, enc := range m.Kernels {
		k, err := engine.Decode(enc)
		if err != nil {
			return fmt.Errorf("decode sched.Multi: %w", err)
		}
		a, ok := k.(engine.AnyAggregator)
		if !ok {
			return fmt.Errorf("sched.Multi: %s is not an aggregator", k.KernelName())
		}
		m.aggs = append(m.aggs, a)
	}
	return nil
}

// fingerprint hashes the members, in order, into h (with h's own
// layout: Fingerprint's or quickKey's).
func (m *Multi) fingerprint(h hash.Hash) error {
	var num [8]byte
	binary.LittleEndian.PutUint64(num[:], uint64(len(m.aggs)))
	h.Write(num[:])
	for _, a := range m.aggs {
		if err := hashKernel(h, a); err != nil {
			return err
		}
	}
	return nil
}

// KernelName implements Kernel.
func (*Multi) KernelName() string { return "sched.Multi" }

// Unwrap implements AnyAggregator.
func (m *Multi) Unwrap() engine.Kernel { return m }

// ZeroAny implements AnyAggregator: one partial per aggregation.
func (m *Multi) ZeroAny() any {
	out := make([]any, len(m.aggs))
	for i, a := range m.aggs {
		out[i] = a.ZeroAny()
	}
	return out
}

// FoldAny implements AnyAggregator.
func (m *Multi) FoldAny(ctx context.Context, info engine.PartitionInfo, acc any, b *table.Batch) (any, error) {
	ps := acc.([]any)
	ctx = engine.WithMemo(ctx)
	for i, a := range m.aggs {
		p, err := a.FoldAny(ctx, info, ps[i], b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.KernelName(), err)
		}
		ps[i] = p
	}
	return ps, nil
}

// MergeAny implements AnyAggregator.
func (m *Multi) MergeAny(x, y any) (any, error) {
	xs, ys := x.([]any), y.([]any)
	for i, a := range m.aggs {
		p, err := a.MergeAny(xs[i], ys[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.KernelName(), err)
		}
		xs[i] = p
	}
	return xs, nil
}

// EncodePartial implements AnyAggregator: each aggregation encodes its
// own partial.
func (m *Multi) EncodePartial(p any) ([]byte, error) {
	ps := p.([]any)
	encs := make([][]byte, len(ps))
	for i, a := range m.aggs {
		var err error
		if encs[i], err = a.EncodePartial(ps[i]); err != nil {
			return nil, err
		}
	}
	data, err := engine.Marshal(encs)
	if err != nil {
		return nil, fmt.Errorf("encode partial of sched.Multi: %w", err)
	}
	return data, nil
}

// DecodePartial implements AnyAggregator.
func (m *Multi) DecodePartial(data []byte) (any, error) {
	var encs [][]byte
	if err := engine.Unmarshal(data, &encs); err != nil {
		return nil, fmt.Errorf("decode partial of sched.Multi: %w", err)
	}
	if len(encs) != len(m.aggs) {
		return nil, fmt.Errorf("decode partial of sched.Multi: %d partials, %d aggregations", len(encs), len(m.aggs))
	}
	out := make([]any, len(encs))
	for i, a := range m.aggs {
		var err error
		if out[i], err = a.DecodePartial(encs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Split returns each aggregation's result from the combined one.
func (m *Multi) Split(res any) []any { return res.([]any) }
