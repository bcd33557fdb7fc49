package lines

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "plain", in: "a,b\n1,2\n", want: "a,b\n1,2\n"},
		{name: "BOM dropped", in: "\xEF\xBB\xBFa,b\n1,2\n", want: "a,b\n1,2\n"},
		{name: "BOM only", in: "\xEF\xBB\xBF", want: ""},
		{name: "CRLF kept", in: "a,b\r\n1,2\r\n", want: "a,b\r\n1,2\r\n"},
		{name: "lone CR", in: "a,b\r1,2\r3,4", want: "a,b\n1,2\n3,4"},
		{name: "BOM and lone CR", in: "\xEF\xBB\xBFa\r1\r", want: "a\n1\n"},
		{name: "CR at the very end only", in: "a,b\r", want: "a,b\r"},
		{name: "gzip", in: "\x1f\x8b\x08\x00rest", err: "in.csv: the file is gzip-compressed, not CSV text; decompress it first"},
		{name: "zstd", in: "\x28\xb5\x2f\xfdrest", err: "zstd-compressed"},
		{name: "bzip2", in: "BZh91AY", err: "bzip2-compressed"},
		{name: "xz", in: "\xfd7zXZ\x00", err: "xz-compressed"},
		{name: "zip", in: "PK\x03\x04", err: "zip archive, not CSV text; extract it first"},
		{name: "parquet", in: "PAR1\x15\x04", err: "the file is Parquet, not CSV text; read it with format parquet"},
		{name: "UTF-16", in: "\xff\xfea\x00,\x00", err: "UTF-16 text"},
		{name: "NUL byte", in: "a,b\n1,\x002\n", err: "NUL byte at offset 6"},
		{name: "a word starting BZh is text", in: "BZhello\n", want: "BZhello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte a read, so the lone-CR check must look ahead
			// across reads.
			r, err := Text(iotest.OneByteReader(strings.NewReader(tt.in)), "in.csv", "CSV")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil || string(got) != tt.want {
				t.Fatalf("read %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// FuzzText: preparing any input never panics, and reading through it
// returns the input less a leading BOM, with lone CRs as LFs.
func FuzzText(f *testing.F) {
	for _, s := range []string{"a,b\n", "\xEF\xBB\xBFa", "a\rb\r", "a\r\nb", "\x1f\x8b", "PAR1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Text(strings.NewReader(string(data)), "fuzz", "CSV")
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(data) || strings.Count(string(got), "\r") > strings.Count(string(data), "\r") {
			t.Fatalf("%q → %q", data, got)
		}
	})
}
