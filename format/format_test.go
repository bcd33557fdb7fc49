package format_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

var server *s3test.Server

func TestMain(m *testing.M) { os.Exit(s3test.Main(m, &server)) }

// TestRoundTripEverywhere writes and reads every format on local disk and
// on the S3 server, through the same entry points the CLI uses.
func TestRoundTripEverywhere(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "formats"); err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	all := tabletest.AllTypes(t)
	schemaOf := func(tb *table.Table) map[string]table.Type {
		m := map[string]table.Type{}
		for _, f := range tb.Schema().Fields {
			m[f.Name] = f.Type
		}
		return m
	}
	svm, err := all.Select("i", "v")
	if err != nil {
		t.Fatal(err)
	}
	// LibSVM holds a numeric label and sparse features without nulls.
	svm, _ = svm.DropNulls()
	svm, _ = svm.Filter(func(b *table.Batch) ([]int, error) {
		var keep []int
		for i, v := range b.Column(1).(*table.VectorColumn).Values {
			if v.IsSparse() && v.Size == 5 {
				keep = append(keep, i)
			}
		}
		return keep, nil
	})
	for _, base := range []string{t.TempDir(), "s3://formats/run"} {
		for _, f := range format.Formats() {
			t.Run(fmt.Sprintf("%s/%s", f, strings.SplitN(base, ":", 2)[0]), func(t *testing.T) {
				uri := storage.Join(base, "data."+string(f))
				in := all
				o := format.Options{CSV: csvOptions(schemaOf(all))}
				if f == format.LibSVM {
					in = svm
					o = format.Options{LabelCol: "i", FeaturesCol: "v", LibSVM: libsvmOptions(5)}
				}
				if err := format.Write(ctx, st, uri, in, o); err != nil {
					t.Fatal(err)
				}
				got, rep, err := format.Read(ctx, st, uri, o)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Format != f || rep.Rows != in.Count() {
					t.Fatalf("report = %+v", rep)
				}
				want := in.Rows()
				if f == format.LibSVM {
					for _, r := range want {
						r[0] = float64(r[0].(int64)) // labels read back as float64
					}
				}
				if !tabletest.RowsEqual(got.Rows(), want) {
					t.Fatalf("rows differ:\n got %v\nwant %v", got.Rows(), want)
				}
				// The same file compressed reads the same, told by its
				// extension or, under the plain name, by its first bytes.
				raw, err := st.ReadFile(ctx, uri)
				if err != nil {
					t.Fatal(err)
				}
				for ext, data := range map[string][]byte{".gz": gzipped(t, raw), ".zst": zstded(t, raw)} {
					for _, name := range []string{"data." + string(f) + ext, "magic" + ext + "." + string(f)} {
						cu := storage.Join(base, name)
						if err := st.WriteFile(ctx, cu, data); err != nil {
							t.Fatal(err)
						}
						got, rep, err := format.Read(ctx, st, cu, o)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if rep.Format != f || !tabletest.RowsEqual(got.Rows(), want) {
							t.Fatalf("%s: format %s, rows differ:\n got %v\nwant %v", name, rep.Format, got.Rows(), want)
						}
						// A run on the embedded engine streams a compressed
						// file (it has no byte ranges to split).
						e := &local.Engine{}
						ds, lrep, err := format.Load(ctx, e, st, cu, o)
						if err != nil {
							t.Fatalf("Load %s: %v", name, err)
						}
						loaded, err := e.Collect(ctx, ds)
						if err != nil || lrep.Rows != int64(len(want)) || !tabletest.RowsEqual(loaded.Rows(), want) {
							t.Fatalf("Load %s: %v, %d rows, want %d", name, err, lrep.Rows, len(want))
						}
					}
				}
			})
		}
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstded(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDetect(t *testing.T) {
	for uri, want := range map[string]format.Format{
		"a.csv": format.CSV, "s3://b/x/*.parquet": format.Parquet, "d/part-0.jsonl": format.JSONL,
		"x.json": format.JSONL, "y.svm": format.LibSVM, "z.TSV": format.CSV,
		"a.csv.gz": format.CSV, "s3://b/*.jsonl.zst": format.JSONL, "p.parquet.bz2": format.Parquet, "t.tsv.zstd": format.CSV,
	} {
		if got, err := format.Detect(uri); err != nil || got != want {
			t.Errorf("Detect(%s) = %v, %v", uri, got, err)
		}
	}
	if _, err := format.Detect("data.bin"); !errors.Is(err, format.ErrUnknownFormat) || !strings.Contains(err.Error(), `from the extension "bin" (known: csv,`) {
		t.Errorf("Detect(data.bin) error = %v", err)
	}
}

// TestReadDirectoryDetects: a directory (or glob) of files of one format
// needs no format; a mix is an error naming both.
func TestReadDirectoryDetects(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	dir := t.TempDir()
	for name, body := range map[string]string{"a/part-0.csv": "x,y\n1,2\n", "a/part-1.csv": "x,y\n3,4\n", "b/p.csv": "x\n1\n", "b/q.jsonl": "{\"x\": 1}\n"} {
		if err := st.WriteFile(ctx, filepath.Join(dir, name), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	tb, rep, err := format.Read(ctx, st, filepath.Join(dir, "a")+"/", format.Options{})
	if err != nil || rep.Format != format.CSV || tb.Count() != 2 {
		t.Fatalf("directory of CSV: %v, %+v", err, rep)
	}
	if _, _, err := format.Read(ctx, st, filepath.Join(dir, "b")+"/", format.Options{}); !errors.Is(err, format.ErrUnknownFormat) || !strings.Contains(err.Error(), "both csv and jsonl files") {
		t.Fatalf("mixed directory: %v", err)
	}
}
