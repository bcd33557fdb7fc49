package feature

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	ml.Register(ml.Registration{Name: "HashingTF", New: func() any { return new(HashingTF) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "words", Type: table.StringList}},
				Params:  ml.ParamMap{"inputCol": "words", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer  = (*HashingTF)(nil)
	_ engine.Mapper   = (*HashingTF)(nil)
	_ ml.ColumnReader = (*HashingTF)(nil)
)

// HashingSeed is the MurmurHash3 seed Spark's HashingTF uses.
const HashingSeed = 42

// Murmur3 returns MurmurHash3 x86_32 of b (Austin Appleby's reference
// algorithm), the hash Spark 3's HashingTF applies to a term's UTF-8 bytes.
func Murmur3(b []byte, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	n := len(b)
	for len(b) >= 4 {
		k := binary.LittleEndian.Uint32(b)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
		b = b[4:]
	}
	var k uint32
	switch len(b) {
	case 3:
		k ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(b[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// TermIndex returns the feature index of term in a space of numFeatures:
// the non-negative modulo of its signed MurmurHash3 (seed 42), exactly as
// Spark's HashingTF.indexOf computes it.
func TermIndex(term string, numFeatures int) int {
	h := int32(Murmur3([]byte(term), HashingSeed))
	m := int(h) % numFeatures
	if m < 0 {
		m += numFeatures
	}
	return m
}

// HashingTF maps a list of terms to a sparse vector of term frequencies in
// a space of NumFeatures, each term at TermIndex(term) — Spark's
// HashingTF. Colliding terms add up. With Binary, every non-zero count is
// 1.
type HashingTF struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// NumFeatures is the vector size, in [1, 2^31−1]. If 0, it is
	// 2^18 = 262,144.
	NumFeatures int `param:"default=262144,gt=0,max=2147483647"`
	// Binary sets non-zero counts to 1 (for binary models). Default false.
	Binary bool `param:"default=false"`
}

// InputColumns implements ml.ColumnReader.
func (h *HashingTF) InputColumns() []string { return []string{h.InputCol} }

// KernelName implements engine.Kernel.
func (*HashingTF) KernelName() string { return "feature.HashingTF" }

func (h *HashingTF) numFeatures() int {
	if h.NumFeatures == 0 {
		return 1 << 18
	}
	return h.NumFeatures
}

// OutputSchema implements engine.Mapper: the output is a vector.
func (h *HashingTF) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if n := h.numFeatures(); n < 1 || n > 1<<31-1 {
		return nil, fmt.Errorf("HashingTF: numFeatures must be in [1, 2^31-1], got %d", h.NumFeatures)
	}
	if _, err := ml.InputColumn("HashingTF", in, h.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("HashingTF", in, h.OutputCol, table.Vector)
}

// MapPartition implements engine.Mapper.
func (h *HashingTF) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := h.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	n := h.numFeatures()
	c, err := table.ColumnAs[*table.StringListColumn](b, h.InputCol)
	if err != nil {
		return nil, err
	}
	vecs := make([]linalg.Vector, len(c.Values))
	var cnt counter
	var idx []int32
	for i, terms := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		if n > maxDenseCounter {
			// No scratch array the size of the feature space (2^31
			// features would be 16 GiB a worker): sort the indices.
			idx = idx[:0]
			for _, t := range terms {
				idx = append(idx, int32(TermIndex(t, n)))
			}
			vecs[i] = countIndices(n, idx, h.Binary)
			continue
		}
		cnt.reset(n)
		for _, t := range terms {
			cnt.add(int32(TermIndex(t, n)))
		}
		vecs[i] = cnt.vector(n, h.Binary)
	}
	return ml.AppendColumn(out, b, table.NewVectorColumn(vecs, c.Valid))
}

// maxDenseCounter is the largest feature space counted in a scratch
// array (32 MiB a worker); larger ones sort each document's indices.
const maxDenseCounter = 1 << 22

// counter counts feature indices of one document: counts in a scratch
// array sized to the feature space (reused across documents), plus the
// list of indices touched, so only distinct indices are sorted.
type counter struct {
	counts  []float64
	touched []int32
}

func (c *counter) reset(size int) {
	if len(c.counts) < size {
		c.counts = make([]float64, size)
	}
	c.touched = c.touched[:0]
}

func (c *counter) add(ix int32) {
	if c.counts[ix] == 0 {
		c.touched = append(c.touched, ix)
	}
	c.counts[ix]++
}

// vector returns the counts as a sparse vector and clears them.
func (c *counter) vector(size int, binary bool) linalg.Vector {
	slices.Sort(c.touched)
	ind := make([]int32, len(c.touched))
	val := make([]float64, len(c.touched))
	for k, ix := range c.touched {
		ind[k], val[k] = ix, c.counts[ix]
		if binary {
			val[k] = 1
		}
		c.counts[ix] = 0
	}
	return linalg.Vector{Size: size, Indices: ind, Values: val}
}

// countIndices sorts idx and returns the sparse vector of how often each
// index occurs (1 for each with binary).
func countIndices(size int, idx []int32, binary bool) linalg.Vector {
	slices.Sort(idx)
	ind := make([]int32, 0, len(idx))
	val := make([]float64, 0, len(idx))
	for k, ix := range idx {
		if k > 0 && ix == idx[k-1] {
			if !binary {
				val[len(val)-1]++
			}
			continue
		}
		ind = append(ind, ix)
		val = append(val, 1)
	}
	return linalg.Vector{Size: size, Indices: ind, Values: val}
}
