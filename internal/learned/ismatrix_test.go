package learned

import (
	"math"
	"testing"
)

func TestIsMatrix(t *testing.T) {
	cases := []struct {
		n, rows, cols int
		want          bool
	}{
		{6, 2, 3, true},
		{6, 3, 2, true},
		{5, 2, 3, false},
		{0, 0, 7, true},
		{0, 7, 0, true},
		{1, 0, 7, false},
		{6, -2, -3, false},
		// 2^62 · 4 wraps to 0 in int64: a plain product would accept an
		// empty slice for a huge matrix.
		{0, 1 << 62, 4, false},
		{4, math.MaxInt, 2, false},
	}
	for _, c := range cases {
		if got := IsMatrix(c.n, c.rows, c.cols); got != c.want {
			t.Errorf("IsMatrix(%d, %d, %d) = %v, want %v", c.n, c.rows, c.cols, got, c.want)
		}
	}
}
