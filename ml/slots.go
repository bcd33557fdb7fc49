package ml

import (
	"fmt"

	"github.com/spindle-ml/spindle/table"
)

// Slots names the slots of a vector column, as Spark's ML attributes do:
// Size slots, Name(i) the name of slot i. Copies says each slot holds
// the value its name points at unchanged (an assembled column x, or slot
// v[k] of an input vector), not a value derived from it.
type Slots struct {
	Size   int
	Name   func(i int) string
	Copies bool
}

// Names lists every slot's name (for small vectors and tests).
func (s *Slots) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, s.Size)
	for i := range out {
		out[i] = s.Name(i)
	}
	return out
}

// IndexedSlots names n slots col[0] … col[n-1].
func IndexedSlots(col string, n int) *Slots {
	return &Slots{Size: n, Name: func(i int) string { return fmt.Sprintf("%s[%d]", col, i) }}
}

// SlotNamer is implemented by stages that make vector columns and can
// name their slots: given the schema they read and the slots of the
// vector columns in it (slots(col); nil when unknown), SlotNames returns
// the slots of each vector column the stage makes (nil, or a missing
// entry, when it cannot tell: a vector of unknown size).
type SlotNamer interface {
	SlotNames(in *table.Schema, slots func(col string) *Slots) map[string]*Slots
}

// SlotsOf names the slots of vector column col as stages make it from
// input schema in (the slots of in's own vector columns, when known, from
// raw; raw may be nil). It walks the stages, each SlotNamer naming the
// columns it makes from those before; nil when col is not a vector the
// stages make with known slots. Reports name a model's features by it.
func SlotsOf(in *table.Schema, stages []Transformer, col string, raw func(col string) *Slots) *Slots {
	known := map[string]*Slots{}
	if raw != nil {
		for _, f := range in.Fields {
			if f.Type == table.Vector {
				if s := raw(f.Name); s != nil {
					known[f.Name] = s
				}
			}
		}
	}
	s := in
	for _, t := range stages {
		if sn, ok := t.(SlotNamer); ok {
			for c, slots := range sn.SlotNames(s, func(c string) *Slots { return known[c] }) {
				if slots == nil {
					delete(known, c)
				} else {
					known[c] = slots
				}
			}
		}
		next, err := t.OutputSchema(s)
		if err != nil {
			return nil
		}
		s = next
	}
	return known[col]
}

// SameSlots returns the slots of input column col renamed for a stage
// that maps each slot to the slot of the same index (a scaler, IDF): the
// input's own names when known, else out[i] over size slots (size < 0:
// unknown, nil).
func SameSlots(slots func(string) *Slots, col, out string, size int) *Slots {
	if s := slots(col); s != nil && (size < 0 || s.Size == size) {
		return &Slots{Size: s.Size, Name: s.Name} // derived, not copied
	}
	if size < 0 {
		return nil
	}
	return IndexedSlots(out, size)
}
