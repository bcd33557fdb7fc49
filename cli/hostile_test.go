package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// The hostile-user corpus: what a careless or hostile user does to the
// command line — bad data in every format, bad specs and overrides,
// damaged models, unusable output locations, resource bombs — each
// answered with the right exit code and one message that names the file
// and line (or the spec's line:column, or the flag), never a panic, a
// goroutine dump or a fatal runtime error, and nothing finished lost.

// hostile is one case. In files, args and want, {d} stands for the case's
// directory; a file named "@model" there is a copy of a saved model.
type hostile struct {
	name  string
	files map[string]string
	args  []string
	code  int
	// want are substrings of stderr (or, with ExitOK, of stdout+stderr).
	want []string
	// lines is how many "spindle: " lines stderr may have; 0 means 1
	// for a failure (one message) and 0 for success.
	lines int
	// check, if set, inspects the directory afterwards (nothing lost,
	// outputs where they belong).
	check func(t *testing.T, dir string)
}

// hostileSpec is a small spec over {d}/data.csv (columns text, label, n);
// its lines are numbered in the comments for the line:column cases.
const hostileSpec = `name: h
input: {uri: data.csv}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W+'}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}
models:
  - name: lr
    type: LogisticRegression
    params: {regParam: 0.01}
    tuning: {numFolds: 2, grid: {maxIter: [5, 10]}}
metrics: [accuracy, f1]
output: {dir: out}
`

// hostileData is data.csv for hostileSpec: 120 rows, two classes.
func hostileData() string {
	var b strings.Builder
	b.WriteString("text,label,n\n")
	spam := []string{"win money now", "free offer click here", "cheap pills free", "click to win a prize"}
	ham := []string{"meeting at noon", "the linux kernel patch", "lunch with the team", "review my patch"}
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "%s,spam,%d\n%s,ham,%d\n", spam[i%4], i, ham[i%4], i)
	}
	return b.String()
}

// spec returns hostileSpec with each old text replaced by the new.
func hspec(pairs ...string) string {
	s := hostileSpec
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic("hostileSpec has no " + pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// zst compresses s with zstd.
func zst(s string) string {
	var b bytes.Buffer
	w, _ := zstd.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// bz2Small is "a,b\n1,2\n3,4\n" compressed by Python's bz2 (Go has no
// bzip2 writer).
const bz2Small = "BZh91AY&SY\x03\x0c\x1f\x1b\x00\x00\x05Y\x00\x00\x10\x00\x04<\x000\x00 \x00\"\x1e\xa1\x88C\x02'4\xe3\x80\x1e.\xe4\x8ap\xa1 \x06\x18>6"

func exists(rel string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("expected %s: %v", rel, err)
		}
	}
}

func absent(rel string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
			t.Errorf("%s should not exist", rel)
		}
	}
}

func all(fs ...func(t *testing.T, dir string)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		for _, f := range fs {
			f(t, dir)
		}
	}
}

// hostileCases lists the corpus. model is a saved model's directory, and
// parquet the bytes of a small valid Parquet file.
func hostileCases(parquet string) []hostile {
	data := hostileData()
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"data.csv": data}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	runSpec := func(sp string, more ...string) (map[string]string, []string) {
		return with(map[string]string{"spec.yaml": sp}), append([]string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, more...)
	}
	var cs []hostile
	add := func(c hostile) { cs = append(cs, c) }
	specCase := func(name, sp string, code int, want ...string) {
		f, a := runSpec(sp)
		add(hostile{name: name, files: f, args: a, code: code, want: want, check: absent("out")})
	}
	profileCase := func(name, file, body string, code int, want ...string) {
		add(hostile{name: name, files: map[string]string{file: body}, args: []string{"profile", "{d}/" + file}, code: code, want: want})
	}

	// CSV.
	profileCase("csv empty file", "x.csv", "", ExitFailure, "{d}/x.csv: empty file")
	profileCase("csv header only", "x.csv", "a,b\n", ExitFailure, "{d}/x.csv: no data rows (header only)")
	profileCase("csv blank lines only", "x.csv", "\n\n\n", ExitFailure, "{d}/x.csv: empty file")
	profileCase("csv ragged row", "x.csv", "a,b\n1,2\n3,4,5\n", ExitFailure, "{d}/x.csv:3: wrong number of fields: 3 fields, the header has 2")
	profileCase("csv short row", "x.csv", "a,b\n1,2\n3\n", ExitFailure, "{d}/x.csv:3: wrong number of fields: 1 fields, the header has 2")
	profileCase("csv unterminated quote", "x.csv", "a,b\n1,2\n3,\"open\nstill\n", ExitFailure, `{d}/x.csv:3: column 2 ("b"): quoted field is not terminated`)
	profileCase("csv text after quote", "x.csv", "a,b\n1,\"x\"y\n", ExitFailure, `{d}/x.csv:2: column 2 ("b"): unexpected text after a closing quote`)
	profileCase("csv bare quote", "x.csv", "a,b\n1,5 \"inch\n", ExitFailure, `{d}/x.csv:2: column 2 ("b"): unexpected text after a closing quote`, "a quote inside an unquoted field")
	profileCase("csv bare quote in header", "x.csv", "a,b\"c\n1,2\n", ExitFailure, `{d}/x.csv:1: column 2: unexpected text after a closing quote`)
	profileCase("csv invalid UTF-8", "x.csv", "a,b\n1,ok\n2,caf\xe9\n", ExitFailure, `{d}/x.csv:3: column 2 ("b"): invalid UTF-8`)
	profileCase("csv invalid UTF-8 header", "x.csv", "a,caf\xe9\n1,2\n", ExitFailure, `{d}/x.csv:1: column 2: invalid UTF-8: in the header`)
	// Compressed files are read through, told by their first bytes or
	// their extension; damaged ones name the file and the compression.
	profileCase("csv gzip by magic", "x.csv", gz("a,b\n1,2\n"), ExitOK, "rows: 1", "columns: 2")
	profileCase("csv gzip by extension", "x.csv.gz", gz("a,b\n1,2\n3,4\n"), ExitOK, "rows: 2")
	profileCase("csv bzip2", "x.csv.bz2", bz2Small, ExitOK, "rows: 2")
	profileCase("csv zstd", "x.csv.zst", zst("a,b\n1,2\n3,4\n5,6\n"), ExitOK, "rows: 3")
	profileCase("csv zstd truncated", "x.csv", "\x28\xb5\x2f\xfd\x00\x01", ExitFailure, "{d}/x.csv: the zstd data ends early (truncated file?)")
	profileCase("csv bzip2 truncated", "x.csv", "BZh91AY&SY", ExitFailure, "{d}/x.csv: the bzip2 data ends early")
	profileCase("csv gzip truncated", "x.csv.gz", gz("a,b\n1,2\n")[:20], ExitFailure, "{d}/x.csv.gz: the gzip data ends early")
	profileCase("csv gzip not gzip", "x.csv.gz", "a,b\n1,2\n", ExitFailure, "{d}/x.csv.gz: not valid gzip data")
	profileCase("csv xz", "x.csv", "\xfd7zXZ\x00\x00", ExitFailure, "{d}/x.csv: the file is xz-compressed")
	profileCase("csv zip", "x.csv", "PK\x03\x04\x14\x00", ExitFailure, "{d}/x.csv: the file is a zip archive, not CSV text; extract it first")
	profileCase("csv that is parquet", "x.csv", parquet, ExitFailure, "{d}/x.csv: the file is Parquet, not CSV text; read it with format parquet")
	profileCase("csv UTF-16", "x.csv", "\xff\xfea\x00,\x00b\x00\n\x00", ExitFailure, "{d}/x.csv: the file is UTF-16 text")
	profileCase("csv NUL bytes", "x.csv", "a,b\n1,\x002\n", ExitFailure, "{d}/x.csv: the file holds a NUL byte at offset 6")
	profileCase("csv beyond float64 inferred", "x.csv", "a,b\n1.5,x\n1e400,y\n", ExitFailure, `{d}/x.csv:3: column 1 ("a"): value does not parse as the column's type: "1e400" is beyond float64's range`)
	profileCase("csv hex is text", "x.csv", "a\n0x10\n1\n", ExitOK, "columns: 1", "string")
	add(hostile{name: "csv beyond float64 declared", files: map[string]string{"x.csv": "a,b\n1,x\n-1e999,y\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "a=float64"}, code: ExitFailure,
		want: []string{`{d}/x.csv:3: column 1 ("a"): value does not parse as the column's type: "-1e999" is beyond float64's range`}})
	add(hostile{name: "csv declared int gets text", files: map[string]string{"x.csv": "a,b\n1,x\nten,y\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "a=int64"}, code: ExitFailure,
		want: []string{`{d}/x.csv:3: column 1 ("a"): value does not parse as the column's type: "ten" is not an integer`}})
	add(hostile{name: "csv declared int out of range", files: map[string]string{"x.csv": "a,b\n1,x\n-9223372036854775809,y\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "a=int64"}, code: ExitFailure,
		want: []string{`{d}/x.csv:3: column 1 ("a"): value does not parse as the column's type: "-9223372036854775809" is beyond int64's range`}})
	add(hostile{name: "csv schema for a missing column", files: map[string]string{"x.csv": "a,b\n1,x\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "agee=int64"}, code: ExitUsage,
		want: []string{`--schema agee=int64: {d}/x.csv has no column "agee" (columns: a, b)`}})
	add(hostile{name: "csv schema bad type", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "a=decimal"}, code: ExitUsage, want: []string{`--schema a=decimal: unknown column type "decimal"`}})
	add(hostile{name: "csv schema without type", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "{d}/x.csv", "--schema", "a"}, code: ExitUsage, want: []string{`--schema wants NAME=TYPE, got "a"`}})
	add(hostile{name: "csv two-byte delimiter", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "{d}/x.csv", "--delimiter", ";;"}, code: ExitUsage, want: []string{`--delimiter must be a single byte, got ";;"`}})
	add(hostile{name: "csv drop malformed with rejects", files: map[string]string{"x.csv": "a,b\n1,2\n3\n4,5\n"}, args: []string{"profile", "--json", "{d}/x.csv", "--on-malformed", "drop", "--rejects", "{d}/rejects.csv"}, code: ExitOK,
		want: []string{`"rows": 2`}, check: exists("rejects.csv")})
	add(hostile{name: "csv rejects onto the input", files: map[string]string{"x.csv": "a,b\n1,2\n3\n"}, args: []string{"profile", "{d}/x.csv", "--on-malformed", "drop", "--rejects", "{d}/x.csv"}, code: ExitUsage,
		want: []string{"--rejects {d}/x.csv is the input file {d}/x.csv; writing it would replace the data being read"}})
	add(hostile{name: "csv rejects without drop", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "{d}/x.csv", "--rejects", "{d}/r.csv"}, code: ExitUsage, want: []string{"--rejects needs --on-malformed drop"}})
	add(hostile{name: "csv all rows malformed", files: map[string]string{"x.csv": "a,b\n1\n2\n"}, args: []string{"profile", "{d}/x.csv", "--on-malformed", "drop"}, code: ExitFailure, want: []string{"{d}/x.csv: no data rows (all 2 records malformed)"}})
	profileCase("csv byte order mark", "x.csv", "\xEF\xBB\xBFtext,n\nhello,1\n", ExitOK, "text", "string")
	profileCase("csv lone CR line ends", "x.csv", "a,b\r1,2\r3,4\r", ExitOK, "rows: 2")
	profileCase("csv CRLF", "x.csv", "a,b\r\n1,2\r\n", ExitOK, "rows: 1")
	profileCase("csv duplicate header names", "x.csv", "a,a\n1,2\n", ExitOK, "a0", "a1")
	profileCase("csv empty header name", "x.csv", "a,\n1,2\n", ExitOK, "_c1")
	profileCase("csv infinities profile", "x.csv", "a\n1\ninf\n-Infinity\nNaN\n", ExitOK, "rows: 4")
	add(hostile{name: "csv infinities json", files: map[string]string{"x.csv": "a,b\n1,inf\n2,3\n"}, args: []string{"profile", "--json", "{d}/x.csv"}, code: ExitOK, want: []string{`"max": "Infinity"`, `"mean": "Infinity"`, `"stddev": "NaN"`}})
	add(hostile{name: "csv glob without match", args: []string{"profile", "{d}/*.csv"}, code: ExitFailure, want: []string{"{d}/*.csv: no files match"}})
	add(hostile{name: "csv missing file", args: []string{"profile", "{d}/nope.csv"}, code: ExitFailure, want: []string{"{d}/nope.csv: no such file or directory"}})
	add(hostile{name: "directory of one format", files: map[string]string{"in/a.csv": "a\n1\n", "in/b.csv": "a\n2\n"}, args: []string{"profile", "{d}/in/"}, code: ExitOK, want: []string{"rows: 2"}})
	add(hostile{name: "directory of two formats", files: map[string]string{"in/a.csv": "a\n1\n", "in/b.jsonl": "{\"a\": 1}\n"}, args: []string{"profile", "{d}/in/"}, code: ExitUsage,
		want: []string{"{d}/in/: cannot tell the format: it holds both csv and jsonl files; pass --format"}})
	add(hostile{name: "files with different headers", files: map[string]string{"in/a.csv": "a\n1\n", "in/b.csv": "b\n2\n"}, args: []string{"profile", "{d}/in/*.csv"}, code: ExitFailure, want: []string{"{d}/in/b.csv: columns [b] differ from {d}/in/a.csv's [a]"}})
	add(hostile{name: "file URI", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "file://{d}/x.csv"}, code: ExitOK, want: []string{"rows: 1"}})
	add(hostile{name: "file URI with a host", args: []string{"profile", "file://host/x.csv"}, code: ExitFailure, want: []string{`file:// URI needs an absolute path (file:///path), got host "host"`}})
	add(hostile{name: "unsupported scheme", args: []string{"profile", "gs://b/x.csv"}, code: ExitFailure, want: []string{`unsupported scheme "gs"`}})
	add(hostile{name: "unknown extension", files: map[string]string{"x.dat": "a\n1\n"}, args: []string{"profile", "{d}/x.dat"}, code: ExitUsage, want: []string{`{d}/x.dat: cannot tell the format from the extension "dat"`, "; pass --format"}})
	add(hostile{name: "bad --format", files: map[string]string{"x.csv": "a\n1\n"}, args: []string{"profile", "{d}/x.csv", "--format", "xls"}, code: ExitUsage, want: []string{`unknown format "xls"`}})
	profileCase("tsv by extension", "x.tsv", "a\tb\n1\t2\n", ExitOK, "columns: 2")

	// JSON Lines.
	profileCase("jsonl invalid JSON", "x.jsonl", "{\"a\":1}\n{oops}\n", ExitFailure, "{d}/x.jsonl:2: invalid JSON")
	profileCase("jsonl not an object", "x.jsonl", "[1,2]\n", ExitFailure, "{d}/x.jsonl:1: each line must be a JSON object")
	profileCase("jsonl trailing text", "x.jsonl", "{\"a\":1} 2\n", ExitFailure, "{d}/x.jsonl:1: text after the JSON object")
	profileCase("jsonl duplicate key", "x.jsonl", "{\"a\":1,\"a\":2}\n", ExitFailure, `{d}/x.jsonl:1: field "a": duplicate key`)
	profileCase("jsonl beyond float64", "x.jsonl", "{\"a\":1.5}\n{\"a\":1e400}\n", ExitFailure, `{d}/x.jsonl:2: field "a": 1e400 is beyond float64's range`)
	add(hostile{name: "jsonl declared int beyond int64", files: map[string]string{"x.jsonl": "{\"a\":1}\n{\"a\":99999999999999999999}\n"}, args: []string{"profile", "{d}/x.jsonl", "--schema", "a=int64"}, code: ExitFailure,
		want: []string{`{d}/x.jsonl:2: field "a": 99999999999999999999 is beyond int64's range`}})
	add(hostile{name: "jsonl declared int gets text", files: map[string]string{"x.jsonl": "{\"a\":1}\n{\"a\":\"x\"}\n"}, args: []string{"profile", "{d}/x.jsonl", "--schema", "a=int64"}, code: ExitFailure,
		want: []string{`{d}/x.jsonl:2: field "a": "x" is not an integer`}})
	profileCase("jsonl gzip", "x.jsonl", gz("{\"a\":1}\n"), ExitOK, "rows: 1")
	profileCase("jsonl zstd", "x.jsonl.zst", zst("{\"a\":1}\n{\"a\":2}\n"), ExitOK, "rows: 2")
	profileCase("jsonl empty", "x.jsonl", "", ExitFailure, "{d}/x.jsonl: no data rows")
	profileCase("jsonl byte order mark", "x.jsonl", "\xEF\xBB\xBF{\"text\":\"hi\"}\n", ExitOK, "text")
	profileCase("jsonl mixed types", "x.jsonl", "{\"a\":1}\n{\"a\":\"x\"}\n", ExitOK, "string")
	profileCase("jsonl nested object", "x.jsonl", "{\"a\":{\"b\":1}}\n", ExitOK, "rows: 1")
	profileCase("jsonl lone CR", "x.jsonl", "{\"a\":1}\r{\"a\":2}\r", ExitOK, "rows: 2")
	profileCase("jsonl NaN string", "x.jsonl", "{\"a\":\"NaN\"}\n{\"a\":1.5}\n", ExitOK, "float64")

	// Parquet.
	profileCase("parquet valid", "x.parquet", parquet, ExitOK, "rows: 3")
	profileCase("parquet truncated", "x.parquet", parquet[:len(parquet)/2], ExitFailure, "{d}/x.parquet: not a readable Parquet file")
	profileCase("parquet that is csv", "x.parquet", "a,b\n1,2\n", ExitFailure, "{d}/x.parquet: not a readable Parquet file")
	profileCase("parquet empty file", "x.parquet", "", ExitFailure, "{d}/x.parquet: not a readable Parquet file")
	profileCase("parquet magic only", "x.parquet", "PAR1PAR1", ExitFailure, "{d}/x.parquet: not a readable Parquet file")
	profileCase("parquet garbage footer", "x.parquet", "PAR1"+strings.Repeat("\xff", 64)+"\x10\x00\x00\x00PAR1", ExitFailure, "{d}/x.parquet: not a readable Parquet file")

	// LibSVM.
	profileCase("libsvm label not a number", "x.svm", "x 1:2\n", ExitFailure, `{d}/x.svm:1: token 1: label "x" is not a number`)
	profileCase("libsvm index 0", "x.svm", "1 1:2\n1 0:3\n", ExitFailure, `{d}/x.svm:2: token 2: index "0" is not an integer in [1, 2147483647]`)
	profileCase("libsvm decreasing index", "x.svm", "1 2:1 1:2\n", ExitFailure, "{d}/x.svm:1: token 3: index 1 after 2: indices must be strictly increasing")
	profileCase("libsvm missing colon", "x.svm", "1 2:1 3\n", ExitFailure, `{d}/x.svm:1: token 3: "3" is not index:value`)
	profileCase("libsvm value not a number", "x.svm", "1 2:abc\n", ExitFailure, `{d}/x.svm:1: token 2: value "abc" is not a number`)
	profileCase("libsvm beyond float64", "x.svm", "1 2:1e400\n", ExitFailure, `{d}/x.svm:1: token 2: value "1e400" is beyond float64's range`)
	profileCase("libsvm hex index", "x.svm", "1 0x2:1\n", ExitFailure, `{d}/x.svm:1: token 2: index "0x2" is not an integer`)
	profileCase("libsvm index beyond int32", "x.svm", "1 4294967296:1\n", ExitFailure, `{d}/x.svm:1: token 2: index "4294967296" is not an integer in [1, 2147483647]`)
	profileCase("libsvm gzip", "x.svm.gz", gz("1 1:1\n0 2:1\n"), ExitOK, "rows: 2")
	profileCase("libsvm byte order mark", "x.svm", "\xEF\xBB\xBF1 1:2\n0 2:1\n", ExitOK, "rows: 2")
	profileCase("libsvm comments and blanks", "x.svm", "# header\n\n1 1:2 # row\n0 2:1\n", ExitOK, "rows: 2")
	{
		var b strings.Builder
		for i := 0; i < 40; i++ {
			fmt.Fprintf(&b, "%d 1:0.5 2147483647:1\n", i%2)
		}
		add(hostile{name: "libsvm index 2^31-1 then a model (memory bomb)", files: map[string]string{"big.svm": b.String(), "svm.yaml": "input: {uri: big.svm}\nlabel: label\nmodels: [{name: lr, type: LogisticRegression}]\nmetrics: [accuracy]\n"},
			args: []string{"run", "{d}/svm.yaml", "--out", "{d}/out"}, code: ExitFailure,
			want:  []string{"feature statistics of 2147483647 features would need about", "of memory; this machine has", "available; use fewer features"},
			check: all(exists("out/metrics.json"), exists("out/run.log"))})
	}

	// Spec mistakes: exit 2, at their line:column, before anything is
	// read or written.
	specCase("spec empty", "", ExitUsage, "{d}/spec.yaml: the spec is empty")
	specCase("spec not YAML", "name: [x\n", ExitUsage, "{d}/spec.yaml: not valid YAML")
	specCase("spec unknown top key", hspec("name: h", "nme: h"), ExitUsage, `{d}/spec.yaml:1:1: unknown key "nme" in the spec`)
	specCase("spec without models", hspec("models:", "modelz:"), ExitUsage, `{d}/spec.yaml:10:1: unknown key "modelz"`)
	specCase("spec unknown stage", hspec("type: RegexTokenizer", "type: RegexTokeniser"), ExitUsage, `{d}/spec.yaml:5:12: stages[0]: unknown stage type "RegexTokeniser"`)
	specCase("spec unknown param", hspec("pattern: '\\W+'", "patern: '\\W+'"), ExitUsage, `{d}/spec.yaml:5:62: stages[0]: RegexTokenizer: unknown parameter "patern"`)
	specCase("spec wrong param type", hspec("numFeatures: 64", "numFeatures: many"), ExitUsage, `{d}/spec.yaml:9:78: variants[0].stages[0]: HashingTF: parameter numFeatures: want an integer, got "many"`)
	specCase("spec negative regParam", hspec("regParam: 0.01", "regParam: -1"), ExitUsage, `{d}/spec.yaml:13:24: models[0]: LogisticRegression: parameter regParam: must be ≥ 0, got -1`)
	specCase("spec elasticNetParam 2", hspec("regParam: 0.01", "elasticNetParam: 2"), ExitUsage, `{d}/spec.yaml:13:31: models[0]: LogisticRegression: parameter elasticNetParam: must be in [0, 1], got 2`)
	specCase("spec negative tol", hspec("regParam: 0.01", "tol: -1"), ExitUsage, `{d}/spec.yaml:13:19: models[0]: LogisticRegression: parameter tol: must be ≥ 0, got -1`)
	specCase("spec threshold 5", hspec("regParam: 0.01", "threshold: 5"), ExitUsage, `{d}/spec.yaml:13:25: models[0]: LogisticRegression: parameter threshold: must be in [0, 1], got 5`)
	specCase("spec negative maxIter", hspec("regParam: 0.01", "maxIter: -1"), ExitUsage, `{d}/spec.yaml:13:23: models[0]: LogisticRegression: parameter maxIter: must be ≥ 0, got -1`)
	specCase("spec numFeatures 0", hspec("numFeatures: 64", "numFeatures: 0"), ExitUsage, `{d}/spec.yaml:9:78: variants[0].stages[0]: HashingTF: parameter numFeatures: must be in (0, 2147483647], got 0`)
	specCase("spec numFeatures 2^31", hspec("numFeatures: 64", "numFeatures: 2147483648"), ExitUsage, `HashingTF: parameter numFeatures: must be in (0, 2147483647], got 2147483648`)
	specCase("spec Word2Vec vectorSize -3", hspec("{type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}", "{type: Word2Vec, inputCol: words, outputCol: features, vectorSize: -3}"), ExitUsage,
		`{d}/spec.yaml:9:76: variants[0].stages[0]: Word2Vec: parameter vectorSize: must be > 0, got -3`)
	specCase("spec Word2Vec stepSize 0", hspec("{type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}", "{type: Word2Vec, inputCol: words, outputCol: features, stepSize: 0}"), ExitUsage,
		`Word2Vec: parameter stepSize: must be > 0, got 0`)
	specCase("spec MinMaxScaler min above max", hspec("outputCol: features, numFeatures: 64}", "outputCol: tf, numFeatures: 64}\n      - {type: MinMaxScaler, inputCol: tf, outputCol: features, min: 2, max: 1}"), ExitUsage,
		`{d}/spec.yaml:10:70: variants[0].stages[1]: MinMaxScaler: parameter min: must be below max (1), got 2`)
	specCase("spec numBuckets 1", hspec("  - {type: RegexTokenizer", "  - {type: QuantileDiscretizer, inputCol: n, outputCol: nb, numBuckets: 1}\n  - {type: RegexTokenizer"), ExitUsage,
		`{d}/spec.yaml:5:73: stages[0]: QuantileDiscretizer: parameter numBuckets: must be ≥ 2, got 1`)
	specCase("spec splits not increasing", hspec("  - {type: RegexTokenizer", "  - {type: Bucketizer, inputCol: n, outputCol: nb, splits: [0, 5, 1]}\n  - {type: RegexTokenizer"), ExitUsage,
		`{d}/spec.yaml:5:60: stages[0]: Bucketizer: parameter splits: must be strictly increasing, got [0 5 1]`)
	specCase("spec too few splits", hspec("  - {type: RegexTokenizer", "  - {type: Bucketizer, inputCol: n, outputCol: nb, splits: [0, 1]}\n  - {type: RegexTokenizer"), ExitUsage,
		`Bucketizer: parameter splits: need at least 3 values, got 2`)
	specCase("spec bad handleInvalid", hspec("  - {type: RegexTokenizer", "  - {type: StringIndexer, inputCol: text, outputCol: ti, handleInvalid: ignore}\n  - {type: RegexTokenizer"), ExitUsage,
		`StringIndexer: parameter handleInvalid: must be one of error, skip, keep, got "ignore"`)
	specCase("spec bad family", hspec("regParam: 0.01", "family: poisson"), ExitUsage, `LogisticRegression: parameter family: must be one of auto, binomial, multinomial, got "poisson"`)
	specCase("spec bad pattern", hspec("pattern: '\\W+'", "pattern: '(x'"), ExitUsage, `{d}/spec.yaml:5:71: stages[0]: RegexTokenizer: parameter pattern: "(x" is not a valid regular expression`)
	specCase("spec empty pattern", hspec("pattern: '\\W+'", "pattern: ''"), ExitUsage, `RegexTokenizer: parameter pattern: must not be empty`)
	specCase("spec bad string function", hspec("  - {type: RegexTokenizer", "  - {type: StringFunction, inputCol: text, outputCol: t2, function: reverse}\n  - {type: RegexTokenizer"), ExitUsage,
		`StringFunction: parameter function: must be one of lower, upper, trim, ltrim, rtrim, got "reverse"`)
	specCase("spec bad filter op", hspec("  - {type: RegexTokenizer", "  - {type: Filter, column: n, op: '~', value: '3'}\n  - {type: RegexTokenizer"), ExitUsage,
		`Filter: parameter op: must be one of ==, !=, <, <=, >, >=, is null, is not null, got "~"`)
	specCase("spec NaN regParam", hspec("regParam: 0.01", "regParam: .nan"), ExitUsage, `parameter regParam: must be a number, got NaN`)
	specCase("spec infinite regParam", hspec("regParam: 0.01", "regParam: .inf"), ExitUsage, `parameter regParam: must be finite, got +Inf`)
	{
		f, a := runSpec(hspec("regParam: 0.01", "regParam: -1, elasticNetParam: 2, tol: -3"))
		add(hostile{name: "spec every bad param reported", files: f, args: a, code: ExitUsage, lines: 1,
			want: []string{"spec.yaml:13:24: models[0]: LogisticRegression: parameter regParam", "spec.yaml:13:45: models[0]: LogisticRegression: parameter elasticNetParam", "spec.yaml:13:53: models[0]: LogisticRegression: parameter tol"}})
	}
	specCase("spec one fold", hspec("numFolds: 2", "numFolds: 1"), ExitUsage, `{d}/spec.yaml:14:24: models[0].tuning.numFolds must be at least 2, got 1`)
	specCase("spec grid value out of range", hspec("maxIter: [5, 10]", "maxIter: [5, -10]"), ExitUsage, `{d}/spec.yaml:14:47: models[0].tuning.grid.maxIter: LogisticRegression: parameter maxIter: must be ≥ 0, got -10`)
	specCase("spec grid unknown param", hspec("maxIter: [5, 10]", "maxIters: [5, 10]"), ExitUsage, `models[0].tuning.grid: LogisticRegression: unknown parameter "maxIters"`)
	specCase("spec trainRatio 1.5", hspec("label: label", "label: label\nsplit: {trainRatio: 1.5}"), ExitUsage, `{d}/spec.yaml:4:21: split.trainRatio must lie strictly between 0 and 1, got 1.5`)
	specCase("spec trainRatio 0", hspec("label: label", "label: label\nsplit: {trainRatio: 0}"), ExitUsage, `split.trainRatio must lie strictly between 0 and 1, got 0`)
	specCase("spec duplicate variant", hspec("  - name: tf\n", "  - name: tf\n    stages: []\n  - name: tf\n"), ExitUsage, `variants[1].name "tf" must be unique`)
	specCase("spec variant name with slash", hspec("  - name: tf\n", "  - name: a/b\n"), ExitUsage, `variants[0].name "a/b" must be unique, non-empty, without spaces or slashes`)
	specCase("spec unknown metric", hspec("metrics: [accuracy, f1]", "metrics: [accuracy, f2]"), ExitUsage, `{d}/spec.yaml:15:21: unknown metric "f2"`)
	specCase("spec evaluator metric", hspec("grid: {maxIter: [5, 10]}", "grid: {maxIter: [5, 10]}, evaluator: {metricName: rmse}"), ExitUsage, `models[0].tuning.evaluator.metricName is "rmse"; allowed: f1, accuracy`)
	specCase("spec bad input format", hspec("input: {uri: data.csv}", "input: {uri: data.csv, format: xls}"), ExitUsage, `{d}/spec.yaml:2:32: input.format: unknown format "xls"`)
	specCase("spec duplicate key", hspec("label: label", "label: label\nlabel: text"), ExitUsage, `{d}/spec.yaml:4:1: key "label" appears twice in the spec`)
	{
		f, a := runSpec(strings.Replace(hostileSpec, "output: {dir: out}\n", "", 1))
		add(hostile{name: "spec without output dir but --out", files: f, args: a, code: ExitOK, check: exists("out/_SUCCESS")})
	}
	specCase("spec merge key of a scalar", hspec("params: {regParam: 0.01}", "params: {<<: 3}"), ExitUsage, `{d}/spec.yaml:13:14: a merge key (<<) takes a mapping or a list of mappings, got "3"`)
	{
		bomb := "name: &a [x, x, x, x, x, x, x, x, x]\n"
		for _, l := range []string{"b", "c", "d", "e", "f", "g"} {
			prev := string(rune(l[0] - 1))
			bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", l, l, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		}
		specCase("spec alias bomb", bomb, ExitUsage, "aliases expand to more than 200000 nodes")
	}
	specCase("spec deep nesting", "name: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n", ExitUsage, "{d}/spec.yaml: not valid YAML")
	specCase("spec too large", "name: x\n#"+strings.Repeat("x", 5<<20)+"\n", ExitUsage, "larger than 4194304 bytes; not a spec")
	add(hostile{name: "spec missing", args: []string{"run", "{d}/nope.yaml"}, code: ExitUsage, want: []string{"read spec: {d}/nope.yaml: no such file or directory"}})
	add(hostile{name: "spec is a directory", files: map[string]string{"specdir/x": ""}, args: []string{"run", "{d}/specdir"}, code: ExitUsage, want: []string{"{d}/specdir: is a directory"}})
	{
		f, _ := runSpec(hostileSpec)
		add(hostile{name: "spec without output dir or --out", files: map[string]string{"data.csv": data, "spec.yaml": strings.Replace(hostileSpec, "output: {dir: out}\n", "", 1)}, args: []string{"run", "{d}/spec.yaml"}, code: ExitUsage,
			want: []string{"{d}/spec.yaml: no output directory: set output.dir in the spec or pass --out"}})
		f["spec.yaml"] = hspec("output: {dir: out}", "output: {dir: data.csv}")
		add(hostile{name: "spec output.dir is a file", files: f, args: []string{"run", "{d}/spec.yaml"}, code: ExitUsage, want: []string{"{d}/spec.yaml:16:15: output.dir {d}/data.csv: {d}/data.csv is a file, not a directory"}})
	}
	// Aliases, merge keys and relative paths that work.
	{
		f, a := runSpec(hspec("    params: {regParam: 0.01}", "    params: &p {regParam: 0.01}", "metrics:", "  - name: lr2\n    type: LogisticRegression\n    params: {<<: *p, maxIter: 3}\nmetrics:"))
		add(hostile{name: "spec aliases and merge keys", files: f, args: a, code: ExitOK, want: []string{"lr2"}, check: exists("out/models/tf.lr2/_SUCCESS")})
	}
	add(hostile{name: "spec relative paths are the spec's", files: map[string]string{"jobs/data.csv": data, "jobs/spec.yaml": hostileSpec}, args: []string{"run", "{d}/jobs/spec.yaml"}, code: ExitOK, check: exists("jobs/out/_SUCCESS")})
	{
		f, a := runSpec(hspec("params: {regParam: 0.01}", "params: {regParam: 0.01, maxIter: 0}", "    tuning: {numFolds: 2, grid: {maxIter: [5, 10]}}\n", ""))
		add(hostile{name: "spec maxIter 0 runs no iteration", files: f, args: a, code: ExitOK, want: []string{"accuracy"}, check: func(t *testing.T, dir string) {
			rep := readMetrics(t, filepath.Join(dir, "out", "metrics.json"))
			if got := rep.Variants[0].Models[0].Params["maxIter"]; got != 0.0 {
				t.Errorf("maxIter reported as %v", got)
			}
		}})
	}

	// Checks against the data, at the spec's line, before any output.
	specCase("spec label missing", hspec("label: label", "label: class"), ExitUsage, `{d}/spec.yaml:3:8: label column "class" is not in the input (columns: [text label n])`)
	specCase("spec indexedCol clash", hspec("label: label", "label: {column: label, indexedCol: n}"), ExitUsage, `{d}/spec.yaml:3:8: label.indexedCol "n" is already a column of the input`)
	specCase("spec schema for a missing column", hspec("input: {uri: data.csv}", "input: {uri: data.csv, options: {schema: {agee: int64}}}"), ExitUsage,
		`{d}/spec.yaml:2:43: input.options.schema names column "agee", which the input does not have (columns: text, label, n)`)
	specCase("spec foldCol missing", hspec("tuning: {numFolds: 2,", "tuning: {numFolds: 2, foldCol: fold,"), ExitUsage, `{d}/spec.yaml:14:36: models[0].tuning.foldCol "fold" is not a column of the input`)
	specCase("spec foldCol not integers", hspec("tuning: {numFolds: 2,", "tuning: {numFolds: 2, foldCol: text,"), ExitUsage, `models[0].tuning.foldCol "text" is string; want an integer column`)
	specCase("spec more folds than rows", hspec("tuning: {numFolds: 2,", "tuning: {numFolds: 500,"), ExitUsage, `{d}/spec.yaml:14:24: models[0].tuning.numFolds is 500, but the training split has only 86 rows`)
	specCase("spec dropNulls column missing", hspec("label: label", "label: label\nclean: {dropNulls: [txt]}"), ExitUsage, `clean.dropNulls: column "txt" is not in the input`)
	specCase("spec stage column missing", hspec("inputCol: text", "inputCol: body"), ExitUsage, `{d}/spec.yaml:5:5: stage RegexTokenizer: input column "body" does not exist`)
	specCase("spec model features missing", hspec("params: {regParam: 0.01}", "params: {regParam: 0.01, featuresCol: feats}"), ExitUsage, `model lr on variant tf: LogisticRegression: input column "feats" does not exist`)
	add(hostile{name: "spec unknown extension", files: map[string]string{"data.dat": hostileData(), "spec.yaml": hspec("input: {uri: data.csv}", "input: {uri: data.dat}")}, args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitUsage,
		want: []string{"{d}/spec.yaml:2:8: {d}/data.dat: cannot tell the format from the extension \"dat\"", "; set input.format"}})
	add(hostile{name: "spec label with one class", files: map[string]string{"data.csv": "text,label,n\nwin,spam,1\nfree,spam,2\n", "spec.yaml": hostileSpec}, args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitUsage,
		want: []string{`{d}/spec.yaml:3:8: label column "label" has only one class ("spam")`}})
	add(hostile{name: "spec nothing left after dropNulls", files: map[string]string{"data.csv": "text,label,n\n,spam,1\nfree,,2\n", "spec.yaml": hspec("label: label", "label: label\nclean: {dropNulls: any}")}, args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitUsage,
		want: []string{"no rows are left after dropping nulls (2 rows read"}})

	// --set mistakes name the --set.
	for _, c := range []struct{ set, want string }{
		{"split.sed=3", `--set split.sed=3: unknown key "sed" in split (allowed: trainRatio, seed)`},
		{"split.seed=abc", `--set split.seed=abc: split.seed must be an integer, got "abc"`},
		{"nokey", "--set nokey: want key.path=value"},
		{"variants.nope.stages.0.x=1", `--set variants.nope.stages.0.x=1: "variants.nope": no list item "nope"`},
		{"models.0.params.regParam=-1", "--set models.0.params.regParam=-1: models[0]: LogisticRegression: parameter regParam: must be ≥ 0, got -1"},
		{"variants.tf.stages.0.numFeatures=0", "--set variants.tf.stages.0.numFeatures=0: variants[0].stages[0]: HashingTF: parameter numFeatures: must be in (0, 2147483647], got 0"},
		{"name.x=1", `--set name.x=1: "name" is not a mapping or list`},
		{"metrics=[accurcy]", `--set metrics=[accurcy]: unknown metric "accurcy"`},
		{"split={trainRatio: 2}", "--set split={trainRatio: 2}: split.trainRatio must lie strictly between 0 and 1, got 2"},
		{"label=*x", "--set label=*x: value: "},
	} {
		f, a := runSpec(hostileSpec, "--set", c.set)
		add(hostile{name: "set " + c.set, files: f, args: a, code: ExitUsage, want: []string{c.want}, check: absent("out")})
	}
	{
		f, a := runSpec(hostileSpec, "--set", "input.uri=nope.csv")
		add(hostile{name: "set input.uri is relative to the working directory", files: f, args: a, code: ExitFailure, want: []string{"read input: nope.csv: no such file or directory"}})
	}

	// Command lines.
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"run without a spec", []string{"run"}, ExitUsage, "expected one SPEC path or URI, got 0 argument(s)"},
		{"run with two specs", []string{"run", "a.yaml", "b.yaml"}, ExitUsage, "expected one SPEC path or URI, got 2 argument(s)"},
		{"unknown flag", []string{"run", "a.yaml", "--outt", "x"}, ExitUsage, "unknown flag: --outt"},
		{"unknown command", []string{"trian"}, ExitUsage, `unknown command "trian"`},
		{"unknown runner", []string{"run", "a.yaml", "--runner", "storm"}, ExitUsage, "--runner \"storm\": allowed: local, prism"},
		{"staging without a runner", []string{"run", "a.yaml", "--staging", "/tmp/x"}, ExitUsage, "--staging needs a Beam runner"},
		{"beam option without =", []string{"run", "a.yaml", "--runner", "prism", "--beam", "nope"}, ExitUsage, `--beam "nope": want name=value`},
		{"flink without endpoint", []string{"run", "a.yaml", "--runner", "flink"}, ExitUsage, "needs the job server's endpoint"},
		{"predict without flags", []string{"predict"}, ExitUsage, "--model, --input and --out are required"},
		{"predict with an argument", []string{"predict", "x"}, ExitUsage, "expected no arguments"},
		{"inspect without a model", []string{"inspect"}, ExitUsage, "expected one MODEL directory or URI, got 0 argument(s)"},
		{"profile distinct bound 0", []string{"profile", "x.csv", "--distinct-bound", "0"}, ExitUsage, "--distinct-bound must be positive, got 0"},
		{"profile on-malformed skip", []string{"profile", "x.csv", "--on-malformed", "skip"}, ExitUsage, "--on-malformed must be fail or drop"},
		{"version with an argument", []string{"version", "x"}, ExitUsage, "expected no arguments, got 1 argument(s)"},
	} {
		add(hostile{name: c.name, args: c.args, code: c.code, want: []string{c.want}})
	}
	{
		// On a Beam runner a compressed input is decompressed by the
		// workers into the staging location; its rows keep its name.
		f, a := runSpec(hostileSpec, "--runner", "prism", "--staging", "{d}/st", "--set", "input.uri={d}/x.csv.gz")
		f["x.csv.gz"] = gz(hostileData())
		add(hostile{name: "compressed input on a Beam runner", files: f, args: a, code: ExitOK, check: exists("st/scratch")})
		f, a = runSpec(hostileSpec, "--runner", "prism", "--staging", "{d}/st", "--set", "input.uri={d}/x.csv.zst")
		f["x.csv.zst"] = zst(hostileData() + "oops,spam,1,2\n")
		add(hostile{name: "compressed input on a Beam runner, bad row", files: f, args: a, code: ExitFailure,
			want: []string{"{d}/x.csv.zst:122: wrong number of fields: 4 fields, the header has 3"}})
	}
	{
		f, a := runSpec(hostileSpec, "--runner", "prism", "--staging", "{d}/data.csv")
		add(hostile{name: "staging is a file", files: f, args: a, code: ExitUsage, want: []string{"--staging {d}/data.csv: {d}/data.csv is a file, not a directory"}})
	}

	// Output locations, probed before any work.
	add(hostile{name: "out is a file", files: with(map[string]string{"spec.yaml": hostileSpec}), args: []string{"run", "{d}/spec.yaml", "--out", "{d}/data.csv"}, code: ExitUsage,
		want: []string{"--out {d}/data.csv: {d}/data.csv is a file, not a directory"}})
	add(hostile{name: "out under a file", files: with(map[string]string{"spec.yaml": hostileSpec}), args: []string{"run", "{d}/spec.yaml", "--out", "{d}/data.csv/out"}, code: ExitUsage,
		want: []string{"--out {d}/data.csv/out: {d}/data.csv/out: a parent of it is a file, not a directory"}})
	add(hostile{name: "out holds other files", files: with(map[string]string{"spec.yaml": hostileSpec, "mine/notes.txt": "keep"}), args: []string{"run", "{d}/spec.yaml", "--out", "{d}/mine"}, code: ExitUsage,
		want: []string{"--out {d}/mine: the directory holds notes.txt, which no Spindle run wrote"}, check: exists("mine/notes.txt")})
	add(hostile{name: "out is the working tree", files: with(map[string]string{"spec.yaml": hostileSpec}), args: []string{"run", "{d}/spec.yaml", "--out", "{d}"}, code: ExitUsage,
		want: []string{"--out {d}: the directory holds data.csv, spec.yaml, which no Spindle run wrote"}})
	add(hostile{name: "out as a file URI", files: with(map[string]string{"spec.yaml": hostileSpec}), args: []string{"run", "{d}/spec.yaml", "--out", "file://{d}/fout"}, code: ExitOK,
		check: all(exists("fout/_SUCCESS"), exists("fout/models/tf/_SUCCESS"))})
	add(hostile{name: "out with a bad scheme", files: with(map[string]string{"spec.yaml": hostileSpec}), args: []string{"run", "{d}/spec.yaml", "--out", "gs://b/x"}, code: ExitUsage, want: []string{`--out gs://b/x: parse "gs://b/x": unsupported scheme "gs"`}})

	// Data the fit refuses: named by file and line; what was finished is
	// kept.
	{
		var b strings.Builder
		b.WriteString("x1,x2,y\n")
		for i := 0; i < 40; i++ {
			y := fmt.Sprint(i % 2)
			if i == 30 {
				y = "0.5"
			}
			fmt.Fprintf(&b, "%d,%d,%s\n", i, i%7, y)
		}
		add(hostile{name: "fit error names the file line", files: map[string]string{"d.csv": b.String(),
			"spec.yaml": "input: {uri: d.csv}\nlabel: y\nvariants: [{name: v, stages: [{type: VectorAssembler, inputCols: [x1, x2], outputCol: features}]}]\nmodels: [{name: lr, type: LogisticRegression}]\nsplit: {trainRatio: 0.9, seed: 1}\n"},
			args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure,
			want:  []string{`{d}/d.csv:32: prediction 1 and label 0.5 must be class indices`},
			check: all(exists("out/run.log"), exists("out/metrics.json"), absent("out/_SUCCESS"))})
		add(hostile{name: "NaN feature names the file line", files: map[string]string{"d.csv": "x1,y\n1,0\n2,1\nNaN,0\n4,1\n5,0\n6,1\n7,0\n8,1\n",
			"spec.yaml": "input: {uri: d.csv}\nlabel: y\nvariants: [{name: v, stages: [{type: VectorAssembler, inputCols: [x1], outputCol: features}]}]\nmodels: [{name: lr, type: LogisticRegression}]\nsplit: {trainRatio: 0.5, seed: 3}\n"},
			args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure,
			want: []string{`VectorAssembler: column "x1", {d}/d.csv:4: NaN value (set handleInvalid to skip or keep)`}})
	}
	{
		var b strings.Builder
		b.WriteString("x1,x2,y\n")
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "%d,%d,3\n", i, i%7)
		}
		add(hostile{name: "constant label regression (NaN r2)", files: map[string]string{"c.csv": b.String(),
			"spec.yaml": "input: {uri: c.csv}\nlabel: y\nvariants: [{name: v, stages: [{type: VectorAssembler, inputCols: [x1, x2], outputCol: features}]}]\nmodels: [{name: lin, type: LinearRegression}]\nmetrics: [rmse, r2]\n"},
			args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitOK, want: []string{"NaN"},
			check: func(t *testing.T, dir string) {
				raw, err := os.ReadFile(filepath.Join(dir, "out", "metrics.json"))
				if err != nil || !strings.Contains(string(raw), `"r2": "NaN"`) {
					t.Errorf("metrics.json: %v\n%s", err, raw)
				}
				exists("out/models/v/_SUCCESS")(t, dir)
			}})
	}
	add(hostile{name: "category index beyond a vector", files: map[string]string{"d.csv": "c,y\n3000000000,0\n1,1\n2,0\n3,1\n",
		"spec.yaml": "input: {uri: d.csv}\nlabel: y\nvariants: [{name: v, stages: [{type: OneHotEncoder, inputCol: c, outputCol: features}]}]\nmodels: [{name: lr, type: LogisticRegression}]\nsplit: {trainRatio: 0.5, seed: 2}\n"},
		args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure,
		want: []string{`OneHotEncoder: column "c": largest category index 3e+09 is more than a vector can hold`}})
	add(hostile{name: "huge numFeatures then a model (memory bomb)", files: with(map[string]string{"spec.yaml": hspec("numFeatures: 64", "numFeatures: 2147483647")}), args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure,
		want: []string{"2147483647 features would need about", "use fewer features"}, check: all(exists("out/run.log"), exists("out/metrics.json"))})
	add(hostile{name: "huge Word2Vec vectorSize (memory bomb)", files: with(map[string]string{"spec.yaml": hspec("{type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}", "{type: Word2Vec, inputCol: words, outputCol: features, vectorSize: 100000000, minCount: 0}")}),
		args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure, want: []string{"Word2Vec: 24 words × vectorSize 100000000 would need about", "lower vectorSize"}})
	{
		vals := strings.Repeat("0.1, ", 99) + "0.2"
		grid := fmt.Sprintf("{regParam: [%s], elasticNetParam: [%s], tol: [%s], maxIter: [%s]}", vals, vals, vals, strings.Repeat("1, ", 99)+"2")
		specCase("spec grid bomb", hspec("grid: {maxIter: [5, 10]}", "grid: "+grid), ExitUsage, "{d}/spec.yaml:14:33: models[0].tuning.grid has 100000000 parameter maps (the product of its lists' lengths); at most 100000")
	}
	add(hostile{name: "huge numBuckets (memory bomb)", files: with(map[string]string{"spec.yaml": hspec("  - {type: RegexTokenizer", "  - {type: QuantileDiscretizer, inputCol: n, outputCol: nb, numBuckets: 1000000000}\n  - {type: RegexTokenizer")}),
		args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitFailure, want: []string{"QuantileDiscretizer: 1000000000 buckets would need about", "use fewer buckets"}})
	add(hostile{name: "wide data profile", files: map[string]string{"w.csv": wideCSV(3000, 20)}, args: []string{"profile", "{d}/w.csv"}, code: ExitOK, want: []string{"columns: 3000"}})
	add(hostile{name: "label as text: many classes", files: with(map[string]string{"spec.yaml": hspec("label: label", "label: text", "    tuning: {numFolds: 2, grid: {maxIter: [5, 10]}}\n", "")}),
		args: []string{"run", "{d}/spec.yaml", "--out", "{d}/out"}, code: ExitOK, want: []string{"accuracy"}})
	return cs
}

// wideCSV has cols integer columns of rows rows.
func wideCSV(cols, rows int) string {
	var b strings.Builder
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d", j)
	}
	b.WriteByte('\n')
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, (i*j)%97)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// modelCases damage copies of a saved model; model is its directory.
func modelCases() []hostile {
	input := hostileData()
	mk := func(name string, damage map[string]string, args []string, code int, want ...string) hostile {
		files := map[string]string{"@model": "", "data.csv": input}
		for k, v := range damage {
			files[k] = v
		}
		return hostile{name: name, files: files, args: args, code: code, want: want}
	}
	predict := []string{"predict", "--model", "{d}/model", "--input", "{d}/data.csv", "--out", "{d}/scored.csv"}
	inspect := []string{"inspect", "{d}/model"}
	return []hostile{
		mk("model predicts", nil, predict, ExitOK),
		mk("model inspects", nil, []string{"inspect", "--json", "{d}/model"}, ExitOK, `"runId": "`, `"numFeatures": 64`),
		{name: "inspect a missing model", args: []string{"inspect", "{d}/nope"}, code: ExitFailure, want: []string{"inspect {d}/nope: no such model (nothing is there)"}},
		{name: "inspect a file", files: map[string]string{"f.txt": "x"}, args: []string{"inspect", "{d}/f.txt"}, code: ExitFailure, want: []string{"inspect {d}/f.txt: is a file, not a model directory"}},
		mk("model without marker", map[string]string{"model/_SUCCESS": "\x00delete"}, inspect, ExitFailure, "inspect {d}/model: no _SUCCESS marker: not a saved model, or its save did not finish"),
		mk("model truncated data", map[string]string{"model/stages/03_classification.LogisticRegressionModel/data.parquet": "\x00truncate"}, inspect, ExitFailure, "{d}/model/stages/03_classification.LogisticRegressionModel/data.parquet: ", "the manifest says"),
		mk("model edited params", map[string]string{"model/stages/02_feature.HashingTF/metadata.json": "\x00replace\"numFeatures\": 64\x00\"numFeatures\": 128"}, predict, ExitFailure,
			"{d}/model/stages/02_feature.HashingTF/metadata.json: ", "the file was truncated or changed after the model was saved"),
		mk("model of an older format", map[string]string{"model/metadata.json": "\x00replace\"formatVersion\": 3,\x00\"formatVersion\": 2,"}, inspect, ExitFailure,
			"{d}/model/metadata.json: format version 2: this build reads saved models of format version 3 only", "re-save the model by running its spec again with this build (spindle run SPEC)"),
		mk("model format version", map[string]string{"model/metadata.json": "\x00replace\"formatVersion\": 3,\x00\"formatVersion\": 9,"}, inspect, ExitFailure, "{d}/model/metadata.json: format version 9; this build reads version 3"),
		mk("model metadata not JSON", map[string]string{"model/metadata.json": "{\"class\":", "@reseal": ""}, predict, ExitFailure, "{d}/model/metadata.json: not valid model metadata"),
		mk("model manifest damaged", map[string]string{"model/_SUCCESS": "{"}, predict, ExitFailure, "{d}/model/_SUCCESS: not a valid manifest"),
		mk("model missing stage data", map[string]string{"model/stages/03_classification.LogisticRegressionModel/data.parquet": "\x00delete"}, predict, ExitFailure, "data.parquet: no such file or directory"),
		mk("model escapes its directory", map[string]string{"model/metadata.json": "\x00replace\"dir\": \"stages/00_\x00\"dir\": \"../00_", "@reseal": ""}, predict, ExitFailure, "bad directory"),
		mk("model metrics edited", map[string]string{"model/metrics.json": "{}"}, inspect, ExitFailure, "{d}/model/metrics.json: 2 bytes, the manifest says"),
		mk("predict input lacks the column", map[string]string{"data.csv": "body,label\nhi,ham\n"}, predict, ExitFailure, `model {d}/model does not fit {d}/data.csv: pipeline stage 1 (feature.StringFunction): `, `input column "text" does not exist (columns: body, label)`),
		mk("predict out onto the input", nil, []string{"predict", "--model", "{d}/model", "--input", "{d}/data.csv", "--out", "{d}/data.csv"}, ExitUsage,
			"--out {d}/data.csv is the input file {d}/data.csv; writing it would replace the data being read"),
		mk("predict out without a known extension", nil, []string{"predict", "--model", "{d}/model", "--input", "{d}/data.csv", "--out", "{d}/x.txt"}, ExitUsage,
			`--out {d}/x.txt: cannot tell the format from the extension "txt"`, "; pass --out-format"),
		mk("predict bad out format", nil, []string{"predict", "--model", "{d}/model", "--input", "{d}/data.csv", "--out", "{d}/x.txt", "--out-format", "xls"}, ExitUsage, `--out-format: unknown format "xls"`),
		mk("predict out under a file", nil, []string{"predict", "--model", "{d}/model", "--input", "{d}/data.csv", "--out", "{d}/data.csv/x.csv"}, ExitUsage, "--out {d}/data.csv/x.csv: "),
		mk("predict null text names the line", map[string]string{"data.csv": "text,label\nhi,ham\n,spam\n"}, predict, ExitFailure, "{d}/data.csv:3: null features"),
	}
}

// TestHostileCorpus runs the corpus: every case answered with its exit
// code and message, one message per failure, no panic or runtime dump.
func TestHostileCorpus(t *testing.T) {
	ctx := context.Background()
	// One saved model for the model cases, and a small Parquet file.
	base := t.TempDir()
	writeFileAt(t, filepath.Join(base, "data.csv"), hostileData())
	writeFileAt(t, filepath.Join(base, "spec.yaml"), strings.Replace(hostileSpec, "  - {type: RegexTokenizer", "  - {type: StringFunction, inputCol: text, outputCol: low, function: lower}\n  - {type: RegexTokenizer", 1))
	if code, _, stderr := run("run", filepath.Join(base, "spec.yaml"), "--out", filepath.Join(base, "out"), "--set", "stages.1.inputCol=low", "--set", "variants.tf.stages.0.numFeatures=64"); code != ExitOK {
		t.Fatalf("making the model: %s", stderr)
	}
	model := filepath.Join(base, "out", "models", "tf")
	st := storage.New(storage.Options{})
	tb, _, err := format.Read(ctx, st, filepath.Join(base, "data.csv"), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	small, err := tb.Repartition(3)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(base, "small.parquet")
	one, _ := table.New(small.Schema(), small.Partitions()[0])
	if err := format.Write(ctx, st, pq, one, format.Options{}); err != nil {
		t.Fatal(err)
	}
	parquet, _ := os.ReadFile(pq)

	cases := append(hostileCases(string(parquet)), modelCases()...)
	if len(cases) < 150 {
		t.Fatalf("the corpus has %d cases, want at least 150", len(cases))
	}
	dump := regexp.MustCompile(`panic|goroutine \d+|fatal error|runtime error|SIGSEGV|\[recovered\]`)
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			sub := func(s string) string { return strings.ReplaceAll(s, "{d}", dir) }
			if _, ok := c.files["@model"]; ok {
				copyDir(t, model, filepath.Join(dir, "model"))
			}
			for name, body := range c.files {
				if name == "@model" || name == "@reseal" {
					continue
				}
				p := filepath.Join(dir, name)
				switch {
				case body == "\x00delete":
					os.Remove(p)
				case body == "\x00truncate":
					b, _ := os.ReadFile(p)
					writeFileAt(t, p, string(b[:len(b)/2]))
				case strings.HasPrefix(body, "\x00replace"):
					old, new, _ := strings.Cut(strings.TrimPrefix(body, "\x00replace"), "\x00")
					if err := rewriteFile(p, old, new); err != nil {
						t.Fatal(err)
					}
				default:
					writeFileAt(t, p, body)
				}
			}
			if _, ok := c.files["@reseal"]; ok {
				resealModel(t, filepath.Join(dir, "model"))
			}
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = sub(a)
			}
			code, stdout, stderr := run(args...)
			if dump.MatchString(stderr) {
				t.Fatalf("a panic or runtime dump:\n%s", stderr)
			}
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, c.code, stderr)
			}
			lines := c.lines
			if lines == 0 && code != ExitOK {
				lines = 1
			}
			if n := strings.Count(stderr, "spindle: "); n != lines {
				t.Errorf("%d \"spindle: \" lines, want %d:\n%s", n, lines, stderr)
			}
			text := stderr
			if code == ExitOK {
				text = stdout + stderr
			}
			for _, w := range c.want {
				if !strings.Contains(text, sub(w)) {
					t.Errorf("output lacks %q:\n%s", sub(w), text)
				}
			}
			if c.check != nil {
				c.check(t, dir)
			}
		})
	}
	t.Logf("%d hostile cases", len(cases))
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFileAt(t, filepath.Join(to, rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rewriteFile(path, old, new string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(old)) {
		return fmt.Errorf("%s has no %q", path, old)
	}
	return os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

// resealModel rewrites the manifest of the model in dir to match its
// files as they are now, as if the damage had been there when it was
// saved: the checks of what the files say are reached.
func resealModel(t *testing.T, dir string) {
	t.Helper()
	files := map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "_SUCCESS" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		files[filepath.ToSlash(rel)] = map[string]any{"size": len(b), "sha256": hex.EncodeToString(sum[:])}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(map[string]any{"files": files})
	if err != nil {
		t.Fatal(err)
	}
	writeFileAt(t, filepath.Join(dir, "_SUCCESS"), string(js))
}
