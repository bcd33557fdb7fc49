package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// quotedCSV makes a CSV whose text fields are quoted and span lines,
// with doubled quotes, commas and blank lines between records, so that
// small cells start inside quoted fields often.
func quotedCSV(rows int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("id,text,x,label\n")
	for i := range rows {
		var text strings.Builder
		for w := range 1 + r.IntN(12) {
			if w > 0 {
				text.WriteString([]string{" ", "\n", ", ", "\"\"", "\r\n"}[r.IntN(5)])
			}
			fmt.Fprintf(&text, "w%d", r.IntN(50))
		}
		x := fmt.Sprint(r.IntN(100))
		if i%7 == 3 {
			x = fmt.Sprintf("%.2f", r.Float64())
		}
		fmt.Fprintf(&b, "%d,\"%s\",%s,%s\n", i, text.String(), x, []string{"ham", "spam"}[r.IntN(2)])
		if i%11 == 5 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// batchDigests encodes every partition (values, types and row origins).
func batchDigests(t *testing.T, parts []*table.Batch) []string {
	t.Helper()
	out := make([]string, len(parts))
	for i, p := range parts {
		var buf bytes.Buffer
		if err := table.EncodeBatch(&buf, p); err != nil {
			t.Fatal(err)
		}
		out[i] = buf.String()
	}
	return out
}

// readBoth reads the files both ways and returns the tables, or the
// errors.
func readBoth(t *testing.T, paths []string, o Options) (*table.Table, *Report, error, *table.Table, *Report, error) {
	t.Helper()
	ctx := context.Background()
	st := storage.New(storage.Options{})
	srcs := sourcesOf(t, st, paths)
	want, wrep, werr := Read(ctx, srcs, o)
	e := &local.Engine{}
	ds, grep, gerr := ReadSplits(ctx, e, st, srcs, o)
	var got *table.Table
	if gerr == nil {
		var err error
		if got, err = e.Collect(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	return want, wrep, werr, got, grep, gerr
}

// sourcesOf lists the files as stored sources.
func sourcesOf(t *testing.T, st *storage.Store, paths []string) []storage.Source {
	t.Helper()
	var srcs []storage.Source
	for _, p := range paths {
		s, err := st.Sources(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s...)
	}
	return srcs
}

func writeFiles(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, fmt.Sprintf("part-%d.csv", i))
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestReadSplitsMatchesRead: the split read gives Read's partitions byte
// for byte, whatever the cell size, with cells that start inside quoted
// fields, in every quoting and line-ending variant.
func TestReadSplitsMatchesRead(t *testing.T) {
	data := quotedCSV(400, 1)
	backslash := strings.ReplaceAll(data, `""`, `\"`)
	tests := []struct {
		name  string
		files []string
		opts  Options
	}{
		{"doubled quotes", []string{data}, Options{}},
		{"byte order mark", []string{"\xEF\xBB\xBF" + data}, Options{}},
		{"lone CR", []string{strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\n", "\r")}, Options{}},
		{"backslash escape", []string{backslash}, Options{Escape: '\\'}},
		{"blank lines before the header", []string{"\n\n" + data}, Options{}},
		{"several files", []string{data, quotedCSV(50, 2), "id,text,x,label\n"}, Options{}},
		{"no header", []string{data[strings.IndexByte(data, '\n')+1:]}, Options{NoHeader: true}},
		{"declared schema", []string{data}, Options{Schema: map[string]table.Type{"x": table.Float64}}},
	}
	for _, tc := range tests {
		for _, cell := range []int{7, 64, 300, 4096, 1 << 20} {
			t.Run(fmt.Sprintf("%s/cell %d", tc.name, cell), func(t *testing.T) {
				o := tc.opts
				o.ChunkSize = cell
				want, wrep, werr, got, grep, gerr := readBoth(t, writeFiles(t, tc.files...), o)
				if werr != nil || gerr != nil {
					t.Fatalf("Read: %v; ReadSplits: %v", werr, gerr)
				}
				if !got.Schema().Equal(want.Schema()) {
					t.Fatalf("schema %v, want %v", got.Schema(), want.Schema())
				}
				w, g := batchDigests(t, want.Partitions()), batchDigests(t, got.Partitions())
				if len(g) != len(w) {
					t.Fatalf("%d partitions, want %d", len(g), len(w))
				}
				for i := range w {
					if g[i] != w[i] {
						t.Fatalf("partition %d differs", i)
					}
				}
				if grep.Rows != wrep.Rows || grep.Files != wrep.Files {
					t.Fatalf("report %+v, want %+v", grep, wrep)
				}
			})
		}
	}
}

// TestReadSplitsTypes: a column whose cells disagree is widened or
// converted as Read does it.
func TestReadSplitsTypes(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,c,d\n")
	for i := range 300 {
		a := fmt.Sprint(i) // int64, then text late in the file
		if i == 250 {
			a = "text"
		}
		bv := fmt.Sprint(i) // int64 in early cells, float64 later
		if i > 150 {
			bv = fmt.Sprintf("%d.5", i)
		}
		c := "" // null in early cells
		if i > 200 {
			c = "true"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d\n", a, bv, c, i)
	}
	want, wrep, werr, got, grep, gerr := readBoth(t, writeFiles(t, b.String()), Options{ChunkSize: 256})
	if werr != nil || gerr != nil {
		t.Fatalf("Read: %v; ReadSplits: %v", werr, gerr)
	}
	if !got.Schema().Equal(want.Schema()) || want.Schema().String() != "a:string, b:float64, c:bool, d:int64" {
		t.Fatalf("schema %v, Read's %v", got.Schema(), want.Schema())
	}
	if fmt.Sprint(grep.Widened) != fmt.Sprint(wrep.Widened) || len(grep.Widened) != 1 {
		t.Fatalf("widened %v, Read's %v", grep.Widened, wrep.Widened)
	}
	w, g := batchDigests(t, want.Partitions()), batchDigests(t, got.Partitions())
	if strings.Join(w, "") != strings.Join(g, "") {
		t.Fatal("partitions differ")
	}
}

// TestReadSplitsErrors: a malformed record deep in the file is reported
// at the same file:line:column; with Drop, the same records are dropped.
func TestReadSplitsErrors(t *testing.T) {
	data := quotedCSV(400, 3)
	lines := strings.SplitAfter(data, "\n")
	cut := 3 * len(lines) / 4
	bad := strings.Join(lines[:cut], "") + "999,\"unclosed\" tail,1,ham\n" + strings.Join(lines[cut:], "")
	tests := []struct {
		name string
		data string
		opts Options
	}{
		{"text after a quote", bad, Options{}},
		{"field count", strings.Join(lines[:cut], "") + "1,2\n" + strings.Join(lines[cut:], ""), Options{}},
		{"unterminated quote at the end", data + "5,\"open\n,1,ham\n", Options{}},
		{"record too large", strings.Join(lines[:cut], "") + "5,\"" + strings.Repeat("x\n", 2000) + strings.Join(lines[cut:], ""), Options{MaxRecordSize: 1000}},
	}
	for _, tc := range tests {
		for _, cell := range []int{64, 500} {
			t.Run(fmt.Sprintf("%s/cell %d", tc.name, cell), func(t *testing.T) {
				o := tc.opts
				o.ChunkSize = cell
				paths := writeFiles(t, tc.data)
				_, _, werr, _, _, gerr := readBoth(t, paths, o)
				var wpe, gpe *ParseError
				if !errors.As(werr, &wpe) || !errors.As(gerr, &gpe) {
					t.Fatalf("Read: %v; ReadSplits: %v; want parse errors", werr, gerr)
				}
				if gerr.Error() != werr.Error() {
					t.Fatalf("ReadSplits: %v\nRead:       %v", gerr, werr)
				}
				for _, s := range sentinels {
					if errors.Is(gerr, s) != errors.Is(werr, s) {
						t.Fatalf("errors.Is(%v) differs", s)
					}
				}
				if tc.name == "record too large" {
					return
				}
				o.OnMalformed = Drop
				want, wrep, werr, got, grep, gerr := readBoth(t, paths, o)
				if werr != nil || gerr != nil {
					t.Fatalf("Read: %v; ReadSplits: %v", werr, gerr)
				}
				if grep.Dropped != wrep.Dropped || grep.Dropped == 0 || fmt.Sprint(grep.DropReasons) != fmt.Sprint(wrep.DropReasons) {
					t.Fatalf("dropped %d %v, Read's %d %v", grep.Dropped, grep.DropReasons, wrep.Dropped, wrep.DropReasons)
				}
				if strings.Join(batchDigests(t, want.Partitions()), "") != strings.Join(batchDigests(t, got.Partitions()), "") {
					t.Fatal("partitions differ")
				}
			})
		}
	}
}

// TestReadSplitsRefusesWhatTextRefuses: a gzip file is refused by name.
func TestReadSplitsRefusesWhatTextRefuses(t *testing.T) {
	_, _, werr, _, _, gerr := readBoth(t, writeFiles(t, "\x1f\x8b\x08\x00rest"), Options{})
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
		t.Fatalf("Read: %v; ReadSplits: %v", werr, gerr)
	}
}

var _ engine.SplitReader = (*parseReader)(nil)

// TestReadSplitsOnBeam: through a Beam job (prism in this process), the
// readers cross a process boundary as encoded kernels, and the staged
// partitions are Read's.
func TestReadSplitsOnBeam(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	srcs := sourcesOf(t, st, writeFiles(t, "\xEF\xBB\xBF"+quotedCSV(300, 5), quotedCSV(40, 6)))
	o := Options{ChunkSize: 512}
	want, _, err := Read(ctx, srcs, o)
	if err != nil {
		t.Fatal(err)
	}
	e := &beam.Engine{Staging: t.TempDir()}
	defer e.Close()
	for run := range 2 { // the second run reuses the staged passes
		ds, rep, err := ReadSplits(ctx, e, st, srcs, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Collect(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != want.Count() || strings.Join(batchDigests(t, want.Partitions()), "") != strings.Join(batchDigests(t, got.Partitions()), "") {
			t.Fatalf("run %d: %d rows in %d partitions, want %d in %d", run, got.Count(), got.NumPartitions(), want.Count(), want.NumPartitions())
		}
		jobs, reused := e.Stats()
		if run == 1 && (jobs != 2 || reused < 2) {
			t.Fatalf("second run: %d jobs in all, %d passes reused; want the 2 of the first run only", jobs, reused)
		}
	}
}

// FuzzReadSplits: on any input, the split read (in cells of a few bytes,
// so that cells start anywhere in quoted fields) gives Read's partitions
// or Read's error.
func FuzzReadSplits(f *testing.F) {
	f.Add([]byte(quotedCSV(20, 9)), 16, false)
	f.Add([]byte("a,b\n\"x\ny\",1\n\n2,\"\"\"\"\n"), 3, false)
	f.Add([]byte("a,b\r\"x\\\"\r\",1\r"), 5, true)
	f.Fuzz(func(t *testing.T, data []byte, cell int, backslash bool) {
		if cell < 1 || cell > 1<<12 || len(data) > 1<<12 || len(data)/cell > 256 {
			return
		}
		o := Options{ChunkSize: cell, MaxRecordSize: 1 << 12}
		if backslash {
			o.Escape = '\\'
		}
		want, _, werr, got, _, gerr := readBoth(t, writeFiles(t, string(data)), o)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("Read: %v\nReadSplits: %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		if strings.Join(batchDigests(t, want.Partitions()), "\x00") != strings.Join(batchDigests(t, got.Partitions()), "\x00") {
			t.Fatalf("partitions differ: %d vs %d", want.NumPartitions(), got.NumPartitions())
		}
	})
}
