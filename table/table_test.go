package table_test

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
)

func numbers(t *testing.T, n, perPart int) *table.Table {
	t.Helper()
	schema, _ := table.NewSchema(table.Field{Name: "id", Type: table.Int64}, table.Field{Name: "s", Type: table.String})
	ids := make([]int64, n)
	ss := make([]string, n)
	for i := range ids {
		ids[i] = int64(i)
		ss[i] = strings.Repeat("x", i%3)
	}
	sc := table.NewStringColumn(ss, nil)
	for i := 0; i < n; i += 10 {
		sc.SetNull(i)
	}
	b, err := table.NewBatch(schema, []table.Column{table.NewInt64Column(ids, nil), sc})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	tb, err = tb.Repartition(perPart)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func ids(tb *table.Table) []int64 {
	var out []int64
	for _, r := range tb.Rows() {
		out = append(out, r[0].(int64))
	}
	return out
}

func TestRandomSplitIndependentOfPartitioning(t *testing.T) {
	var first [][]int64
	for _, per := range []int{1, 7, 100, 10_000} {
		splits, err := numbers(t, 10_000, per).RandomSplit([]float64{0.7, 0.3}, 11)
		if err != nil {
			t.Fatal(err)
		}
		got := [][]int64{ids(splits[0]), ids(splits[1])}
		if first == nil {
			first = got
			n := float64(len(got[0]))
			if len(got[0])+len(got[1]) != 10_000 || math.Abs(n/10_000-0.7) > 0.02 {
				t.Fatalf("split sizes %d/%d", len(got[0]), len(got[1]))
			}
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("split with %d rows per partition differs", per)
		}
	}
	other, _ := numbers(t, 10_000, 100).RandomSplit([]float64{0.7, 0.3}, 12)
	if reflect.DeepEqual(ids(other[0]), first[0]) {
		t.Fatal("a different seed gave the same split")
	}
}

func TestSample(t *testing.T) {
	a, _ := numbers(t, 20_000, 33).Sample(false, 0.25, 5)
	b, _ := numbers(t, 20_000, 5000).Sample(false, 0.25, 5)
	if !reflect.DeepEqual(ids(a), ids(b)) {
		t.Fatal("sample depends on partitioning")
	}
	if n := a.Count(); math.Abs(float64(n)/20_000-0.25) > 0.02 {
		t.Fatalf("sample kept %d of 20000 at fraction 0.25", n)
	}
	r, _ := numbers(t, 20_000, 100).Sample(true, 2, 5)
	if n := r.Count(); math.Abs(float64(n)/20_000-2) > 0.05 {
		t.Fatalf("sample with replacement kept %d, want ≈40000", n)
	}
	if _, err := numbers(t, 10, 5).Sample(false, 1.5, 1); err == nil {
		t.Fatal("fraction 1.5 without replacement accepted")
	}
}

func TestOps(t *testing.T) {
	tb := numbers(t, 100, 13)
	if tb.Count() != 100 || tb.NumPartitions() != 8 {
		t.Fatalf("count %d parts %d", tb.Count(), tb.NumPartitions())
	}
	dn, err := tb.DropNulls()
	if err != nil || dn.Count() != 90 {
		t.Fatalf("drop nulls: %d, %v", dn.Count(), err)
	}
	dn2, _ := tb.DropNulls("id")
	if dn2.Count() != 100 {
		t.Fatalf("drop nulls on id removed rows")
	}
	sel, err := tb.Select("s")
	if err != nil || sel.Schema().String() != "s:string" {
		t.Fatalf("select: %v %v", sel.Schema(), err)
	}
	if _, err := tb.Select("nope"); err == nil || !strings.Contains(err.Error(), `no column "nope"`) {
		t.Fatalf("select missing: %v", err)
	}
	wc, err := tb.WithColumn("twice", table.Float64, func(b *table.Batch) (table.Column, error) {
		ids := b.Column(0).(*table.Int64Column).Values
		out := make([]float64, len(ids))
		for i, v := range ids {
			out[i] = 2 * float64(v)
		}
		return table.NewFloat64Column(out, nil), nil
	})
	if err != nil || wc.Rows()[99][2] != 198.0 {
		t.Fatalf("with column: %v", err)
	}
	f, _ := tb.Filter(func(b *table.Batch) ([]int, error) {
		var keep []int
		for i, v := range b.Column(0).(*table.Int64Column).Values {
			if v%2 == 0 {
				keep = append(keep, i)
			}
		}
		return keep, nil
	})
	if f.Count() != 50 {
		t.Fatalf("filter kept %d", f.Count())
	}
}

func TestBatchCodecRoundTrip(t *testing.T) {
	tb := tabletest.AllTypes(t)
	var buf bytes.Buffer
	if err := table.EncodeBatch(&buf, tb.Partitions()[0]); err != nil {
		t.Fatal(err)
	}
	b, err := table.DecodeBatch(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := table.New(b.Schema(), b)
	if !tabletest.RowsEqual(got.Rows(), tb.Rows()) {
		t.Fatalf("rows differ: %v", got.Rows())
	}
	if _, err := table.DecodeBatch(bytes.NewReader([]byte("garbage"))); err == nil {
		t.Fatal("garbage decoded")
	}
}

func TestNewBatchValidates(t *testing.T) {
	schema, _ := table.NewSchema(table.Field{Name: "a", Type: table.Int64}, table.Field{Name: "b", Type: table.Int64})
	_, err := table.NewBatch(schema, []table.Column{table.NewInt64Column([]int64{1}, nil), table.NewInt64Column([]int64{1, 2}, nil)})
	if err == nil || !strings.Contains(err.Error(), `column "b" has 2 rows`) {
		t.Fatalf("error = %v", err)
	}
	_, err = table.NewBatch(schema, []table.Column{table.NewInt64Column(nil, nil), table.NewFloat64Column(nil, nil)})
	if err == nil || !strings.Contains(err.Error(), "is float64, schema says int64") {
		t.Fatalf("error = %v", err)
	}
	if _, err := table.NewSchema(table.Field{Name: "a", Type: table.Int64}, table.Field{Name: "a", Type: table.String}); err == nil {
		t.Fatal("duplicate names accepted")
	}
}
