package feature

import (
	"fmt"

	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Slot names (ml.SlotNamer) of the stages that make vectors: what lets a
// report name a model's features after the columns that made them.

var (
	_ ml.SlotNamer = (*VectorAssembler)(nil)
	_ ml.SlotNamer = (*HashingTF)(nil)
	_ ml.SlotNamer = (*CountVectorizerModel)(nil)
	_ ml.SlotNamer = (*IDFModel)(nil)
	_ ml.SlotNamer = (*Word2VecModel)(nil)
	_ ml.SlotNamer = (*OneHotEncoderModel)(nil)
	_ ml.SlotNamer = (*StandardScalerModel)(nil)
	_ ml.SlotNamer = (*MinMaxScalerModel)(nil)
	_ ml.SlotNamer = (*MaxAbsScalerModel)(nil)
	_ ml.SlotNamer = (*Normalizer)(nil)
	_ ml.SlotNamer = (*Binarizer)(nil)
	_ ml.SlotNamer = (*VectorIndexerModel)(nil)
)

// SlotNames implements ml.SlotNamer: the inputs' slots in order — a
// number or boolean column is one slot named after it, a vector column
// its own slots (unknown, and then so is the whole, when the vector's
// size is not known).
func (a *VectorAssembler) SlotNames(in *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	var parts []*ml.Slots
	total := 0
	for _, c := range a.InputCols {
		i := in.Index(c)
		if i < 0 {
			return nil
		}
		var s *ml.Slots
		if in.Fields[i].Type == table.Vector {
			if s = slots(c); s == nil {
				return map[string]*ml.Slots{a.OutputCol: nil}
			}
		} else {
			name := c
			s = &ml.Slots{Size: 1, Copies: true, Name: func(int) string { return name }}
		}
		parts = append(parts, s)
		total += s.Size
	}
	copies := true
	for _, p := range parts {
		copies = copies && p.Copies
	}
	return map[string]*ml.Slots{a.OutputCol: {Size: total, Copies: copies, Name: func(j int) string {
		for _, p := range parts {
			if j < p.Size {
				return p.Name(j)
			}
			j -= p.Size
		}
		return ""
	}}}
}

// SlotNames implements ml.SlotNamer: hashed term buckets, outputCol[i].
func (h *HashingTF) SlotNames(*table.Schema, func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{h.OutputCol: ml.IndexedSlots(h.OutputCol, h.numFeatures())}
}

// SlotNames implements ml.SlotNamer: outputCol[term], by vocabulary.
func (m *CountVectorizerModel) SlotNames(*table.Schema, func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: {Size: len(m.Vocabulary), Name: func(i int) string { return fmt.Sprintf("%s[%s]", m.OutputCol, m.Vocabulary[i]) }}}
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (m *IDFModel) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.SameSlots(slots, m.InputCol, m.OutputCol, len(m.IDF))}
}

// SlotNames implements ml.SlotNamer: outputCol[i] over the vector size.
func (m *Word2VecModel) SlotNames(*table.Schema, func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.IndexedSlots(m.OutputCol, m.VectorSize)}
}

// SlotNames implements ml.SlotNamer: inputCol=category for each
// category kept (and inputCol=invalid for handleInvalid keep's slot).
func (m *OneHotEncoderModel) SlotNames(*table.Schema, func(string) *ml.Slots) map[string]*ml.Slots {
	out := map[string]*ml.Slots{}
	for j, col := range m.OutputCols {
		if j >= len(m.InputCols) || j >= len(m.CategorySizes) {
			return nil
		}
		in, cats := m.InputCols[j], m.CategorySizes[j]
		size := cats
		if m.HandleInvalid == HandleKeep {
			size++
		}
		if m.DropLast {
			size--
		}
		out[col] = &ml.Slots{Size: size, Name: func(i int) string {
			if i == cats {
				return in + "=invalid"
			}
			return fmt.Sprintf("%s=%d", in, i)
		}}
	}
	return out
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (m *StandardScalerModel) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.SameSlots(slots, m.InputCol, m.OutputCol, max(len(m.Mean), len(m.Std)))}
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (m *MinMaxScalerModel) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.SameSlots(slots, m.InputCol, m.OutputCol, len(m.OriginalMin))}
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (m *MaxAbsScalerModel) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.SameSlots(slots, m.InputCol, m.OutputCol, len(m.MaxAbs))}
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (n *Normalizer) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{n.OutputCol: ml.SameSlots(slots, n.InputCol, n.OutputCol, -1)}
}

// SlotNames implements ml.SlotNamer: a vector input's slots.
func (z *Binarizer) SlotNames(in *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	if i := in.Index(z.InputCol); i < 0 || in.Fields[i].Type != table.Vector {
		return nil
	}
	return map[string]*ml.Slots{z.OutputCol: ml.SameSlots(slots, z.InputCol, z.OutputCol, -1)}
}

// SlotNames implements ml.SlotNamer: the input's slots.
func (m *VectorIndexerModel) SlotNames(_ *table.Schema, slots func(string) *ml.Slots) map[string]*ml.Slots {
	return map[string]*ml.Slots{m.OutputCol: ml.SameSlots(slots, m.InputCol, m.OutputCol, m.NumFeatures)}
}
