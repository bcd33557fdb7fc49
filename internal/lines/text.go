package lines

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// sniffSize is how much of a text input Text looks at before reading.
const sniffSize = 64 << 10

// Text prepares a text input (named name, of format such as "CSV") for a
// reader, so that every text format treats the start of a file the same
// way:
//
//   - a UTF-8 byte order mark (Excel's "CSV UTF-8") is dropped;
//   - a compressed or binary file (gzip, zstd, bzip2, xz, zip, Parquet,
//     UTF-16 text) is refused with a sentence saying what it is, rather
//     than parsed as garbage;
//   - lines ending in a lone CR (classic Mac OS) are read as lines, the
//     way Hadoop's and pandas' readers do: each lone CR becomes LF (CRLF
//     stays as it is).
func Text(r io.Reader, name, format string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	k, err := Sniff(head, name, format)
	if err != nil {
		return nil, err
	}
	_, _ = br.Discard(k.BOM)
	if k.LoneCR {
		return &crReader{r: br}, nil
	}
	return br, nil
}

// SniffSize is how many first bytes of a file Sniff wants.
const SniffSize = sniffSize

// Kind is what Sniff found at the start of a text file.
type Kind struct {
	// BOM is the length of the byte order mark to skip (0 or 3).
	BOM int
	// LoneCR says lines end in a lone CR, each to be read as LF (FixCR).
	LoneCR bool
}

// Sniff applies Text's rules to the first SniffSize bytes of a file
// (all of it, if shorter), for readers that read a file in byte ranges
// rather than as one stream: it refuses binary files the same way, and
// says how long the byte order mark is and whether CRs end lines.
// Offsets a reader counts after the mark are those of Text's stream; the
// stream has the same length as the file, less the mark.
func Sniff(head []byte, name, format string) (Kind, error) {
	if what, fix := binaryKind(head); what != "" {
		return Kind{}, fmt.Errorf("%s: %s, not %s text; %s", name, what, format, fix)
	}
	var k Kind
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		k.BOM = 3
		head = head[3:]
	}
	k.LoneCR = loneCR(head)
	return k, nil
}

// FixCR turns every CR in p not followed by LF into LF, as Text does for
// a file whose lines end in lone CRs; next is the byte after p (0 at the
// end of the file).
func FixCR(p []byte, next byte) {
	for i, c := range p {
		if c != '\r' {
			continue
		}
		n := next
		if i+1 < len(p) {
			n = p[i+1]
		}
		if n != '\n' {
			p[i] = '\n'
		}
	}
}

// binaryKind names the kind of a file that is not plain UTF-8 text, from
// its first bytes, and what to do about it; or returns "".
func binaryKind(head []byte) (what, fix string) {
	has := func(p string) bool { return bytes.HasPrefix(head, []byte(p)) }
	const decompress = "decompress it first"
	switch {
	case has("\x1f\x8b"):
		return "the file is gzip-compressed", decompress
	case has("\x28\xb5\x2f\xfd"):
		return "the file is zstd-compressed", decompress
	case has("BZh") && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return "the file is bzip2-compressed", decompress
	case has("\xfd7zXZ\x00"):
		return "the file is xz-compressed", decompress
	case has("PK\x03\x04"):
		return "the file is a zip archive", "extract it first"
	case has("PAR1"):
		return "the file is Parquet", "read it with format parquet"
	case has("\xff\xfe"), has("\xfe\xff"):
		return "the file is UTF-16 text", "convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"
	}
	if i := bytes.IndexByte(head[:min(len(head), 8<<10)], 0); i >= 0 {
		return fmt.Sprintf("the file holds a NUL byte at offset %d, so it is binary", i), "is it the file you meant?"
	}
	return "", ""
}

// loneCR reports whether head ends its lines with lone CRs: it holds a CR
// not followed by LF, and no LF at all.
func loneCR(head []byte) bool {
	if bytes.IndexByte(head, '\n') >= 0 {
		return false
	}
	i := bytes.IndexByte(head, '\r')
	return i >= 0 && i < len(head)-1
}

// crReader turns every CR not followed by LF into LF.
type crReader struct{ r *bufio.Reader }

func (c *crReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] != '\r' {
			continue
		}
		next := byte(0)
		if i+1 < n {
			next = p[i+1]
		} else if b, perr := c.r.Peek(1); perr == nil {
			next = b[0]
		}
		if next != '\n' {
			p[i] = '\n'
		}
	}
	return n, err
}
