package format_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/internal/colfile"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// samePartitions fails t unless got's partitions are want's, byte for
// byte in the staging encoding.
func samePartitions(t *testing.T, want, got *table.Table) {
	t.Helper()
	if got.NumPartitions() != want.NumPartitions() {
		t.Fatalf("%d partitions, want %d", got.NumPartitions(), want.NumPartitions())
	}
	for i, p := range want.Partitions() {
		var a, b bytes.Buffer
		if err := colfile.Encode(&a, p); err != nil {
			t.Fatal(err)
		}
		if err := colfile.Encode(&b, got.Partitions()[i]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("partition %d differs", i)
		}
	}
}

// lineInputs makes JSON Lines and LibSVM texts with lines of varied
// length, blank lines and comments.
func lineInputs(rows int) (jsonl, svm string) {
	r := rand.New(rand.NewPCG(3, 4))
	var j, s strings.Builder
	for i := range rows {
		fmt.Fprintf(&j, `{"id": %d, "text": %q, "x": %s}`+"\n", i, strings.Repeat("w", r.IntN(40)), []string{"1", "2.5", "null"}[r.IntN(3)])
		if i == rows/2 {
			fmt.Fprintf(&j, `{"id": %d, "late": true}`+"\n", i)
			j.WriteString("\n")
		}
		fmt.Fprintf(&s, "%d", r.IntN(2))
		for k := 1; k <= 1+r.IntN(20); k++ {
			fmt.Fprintf(&s, " %d:%.3f", 3*k+r.IntN(3), r.Float64())
		}
		if i%9 == 0 {
			s.WriteString(" # a comment")
		}
		s.WriteString("\n")
	}
	return j.String(), s.String()
}

// TestLoadInSplits: a Beam engine reads CSV, JSON Lines and LibSVM in
// splits on its workers and gets the embedded read's partitions byte for
// byte; a malformed line deep in a file is reported the same way.
func TestLoadInSplits(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	js, svm := lineInputs(600)
	csvText := "id,text\n1,\"multi\nline\"\n2,plain\n"
	for range 6 {
		csvText += csvText[strings.IndexByte(csvText, '\n')+1:]
	}
	lines := func(s string) []string { return strings.SplitAfter(s, "\n") }
	badJS := strings.Join(lines(js)[:500], "") + "{\"id\": oops}\n" + strings.Join(lines(js)[500:], "")
	badSVM := strings.Join(lines(svm)[:500], "") + "1 4:1 2:1\n" + strings.Join(lines(svm)[500:], "")
	tests := []struct {
		name, ext string
		files     []string
		opts      func(cell int) format.Options
	}{
		{"csv", "csv", []string{csvText}, func(c int) format.Options { o := format.Options{}; o.CSV.ChunkSize = c; return o }},
		{"jsonl", "jsonl", []string{js, "\xEF\xBB\xBF" + js}, func(c int) format.Options { o := format.Options{}; o.JSONL.ChunkSize = c; return o }},
		{"jsonl lone CR", "jsonl", []string{strings.ReplaceAll(js, "\n", "\r")}, func(c int) format.Options { o := format.Options{}; o.JSONL.ChunkSize = c; return o }},
		{"jsonl declared", "jsonl", []string{js}, func(c int) format.Options {
			o := format.Options{}
			o.JSONL.ChunkSize, o.JSONL.Schema = c, map[string]table.Type{"x": table.Float64}
			return o
		}},
		{"libsvm", "libsvm", []string{svm, svm}, func(c int) format.Options { o := format.Options{}; o.LibSVM.ChunkSize = c; return o }},
		{"libsvm numFeatures", "libsvm", []string{svm}, func(c int) format.Options {
			o := format.Options{}
			o.LibSVM.ChunkSize, o.LibSVM.NumFeatures = c, 100
			return o
		}},
		{"jsonl malformed", "jsonl", []string{badJS}, func(c int) format.Options { o := format.Options{}; o.JSONL.ChunkSize = c; return o }},
		{"libsvm malformed", "libsvm", []string{svm, badSVM}, func(c int) format.Options { o := format.Options{}; o.LibSVM.ChunkSize = c; return o }},
	}
	e := &beam.Engine{Staging: t.TempDir()}
	defer e.Close()
	for _, tc := range tests {
		for _, cell := range []int{50, 1000, 1 << 20} {
			t.Run(fmt.Sprintf("%s/cell %d", tc.name, cell), func(t *testing.T) {
				dir := t.TempDir()
				for i, text := range tc.files {
					if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.%s", i, tc.ext)), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				uri := filepath.Join(dir, "*."+tc.ext)
				o := tc.opts(cell)
				want, wrep, werr := format.Read(ctx, st, uri, o)
				ds, grep, gerr := format.Load(ctx, e, st, uri, o)
				if werr != nil || gerr != nil {
					if werr == nil || gerr == nil || werr.Error() != gerr.Error() || !strings.Contains(tc.name, "malformed") {
						t.Fatalf("Read: %v\nLoad: %v", werr, gerr)
					}
					return
				}
				if strings.Contains(tc.name, "malformed") {
					t.Fatal("a malformed file read")
				}
				got, err := e.Collect(ctx, ds)
				if err != nil {
					t.Fatal(err)
				}
				if grep.Rows != wrep.Rows || !got.Schema().Equal(want.Schema()) || got.NumPartitions() != want.NumPartitions() {
					t.Fatalf("Load: %v, %d rows in %d partitions ; Read: %v, %d in %d", got.Schema(), grep.Rows, got.NumPartitions(), want.Schema(), wrep.Rows, want.NumPartitions())
				}
				samePartitions(t, want, got)
			})
		}
	}
}

// TestLoadParquetInSplits: Parquet is read one row group per split on the
// workers, with Read's partitions and row numbers; a damaged file fails
// the same way.
func TestLoadParquetInSplits(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	dir := t.TempDir()
	x := make([][]float64, 1000)
	y := make([]float64, len(x))
	for i := range x {
		x[i] = []float64{float64(i), float64(i % 7)}
		y[i] = float64(i % 2)
	}
	for i, per := range []int{100, 300} {
		tb := tabletest.Labeled(t, x, y, per, i == 1)
		if err := format.Write(ctx, st, filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)), tb, format.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	e := &beam.Engine{Staging: t.TempDir()}
	defer e.Close()
	uri := filepath.Join(dir, "*.parquet")
	want, _, err := format.Read(ctx, st, uri, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, rep, err := format.Load(ctx, e, st, uri, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Collect(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 2000 || got.NumPartitions() != want.NumPartitions() || got.NumPartitions() != 14 {
		t.Fatalf("%d rows in %d partitions; Read: %d in %d", rep.Rows, got.NumPartitions(), want.Count(), want.NumPartitions())
	}
	samePartitions(t, want, got)
	// A damaged row group (the footer intact): the worker's message names
	// the file and the row group.
	p0 := filepath.Join(dir, "part-0.parquet")
	orig, err := os.ReadFile(p0)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), orig...)
	for i := 200; i < 400; i++ {
		bad[i] = 0xff
	}
	if err := os.WriteFile(p0, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, werr := format.Read(ctx, st, uri, format.Options{})
	_, _, gerr := format.Load(ctx, e, st, uri, format.Options{})
	if werr == nil || gerr == nil || !strings.Contains(gerr.Error(), "part-0.parquet: row group 0") {
		t.Fatalf("Read: %v\nLoad: %v", werr, gerr)
	}
	if err := os.WriteFile(p0, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	// A truncated file.
	data, err := os.ReadFile(filepath.Join(dir, "part-1.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-1.parquet"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, werr = format.Read(ctx, st, uri, format.Options{})
	_, _, gerr = format.Load(ctx, e, st, uri, format.Options{})
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() || !strings.Contains(gerr.Error(), "part-1.parquet") {
		t.Fatalf("Read: %v\nLoad: %v", werr, gerr)
	}
}
