package profile

import (
	"math"
	"math/bits"
)

// sketchP is the HyperLogLog precision: 2^14 registers, a standard error
// of about 1.04/sqrt(2^14) ≈ 0.8%.
const sketchP = 14

// Sketch is a HyperLogLog distinct-count sketch (Flajolet et al. 2007,
// with linear counting for small cardinalities). Its zero value is empty;
// its fields are exported so it travels inside a partial result.
//
// Written here rather than imported: it is 40 lines, and its hash must be
// the same in every worker process, which rules out hash/maphash.
type Sketch struct {
	Registers []uint8
}

// Add records the 64-bit hash of one value.
func (s *Sketch) Add(h uint64) {
	if s.Registers == nil {
		s.Registers = make([]uint8, 1<<sketchP)
	}
	idx := h >> (64 - sketchP)
	rank := uint8(bits.LeadingZeros64(h<<sketchP|1<<(sketchP-1))) + 1
	if rank > s.Registers[idx] {
		s.Registers[idx] = rank
	}
}

// Merge folds o into s.
func (s *Sketch) Merge(o Sketch) {
	if o.Registers == nil {
		return
	}
	if s.Registers == nil {
		s.Registers = make([]uint8, 1<<sketchP)
	}
	for i, r := range o.Registers {
		if r > s.Registers[i] {
			s.Registers[i] = r
		}
	}
}

// Estimate returns the approximate number of distinct values added.
func (s *Sketch) Estimate() int64 {
	if s.Registers == nil {
		return 0
	}
	m := float64(len(s.Registers))
	var sum float64
	zeros := 0
	for _, r := range s.Registers {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting
	}
	return int64(math.Round(e))
}

// hash64 is FNV-1a over b followed by a SplitMix64 finalizer, so that
// HyperLogLog sees well-mixed high bits. It is deterministic across
// processes and machines.
func hash64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ (h >> 31)
}
