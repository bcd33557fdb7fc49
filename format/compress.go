package format

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/spindle-ml/spindle/storage"
)

// Compression is a whole-file compression that reading undoes on the fly
// (streaming: a file is never decompressed to disk or held whole, but for
// Parquet, which needs random access).
type Compression string

// The compressions read. A file is taken as compressed by its extension
// (.gz, .zst or .zstd, .bz2), else by its first bytes.
const (
	Uncompressed Compression = ""
	Gzip         Compression = "gzip"
	Zstd         Compression = "zstd"
	Bzip2        Compression = "bzip2"
)

var compressionExts = map[string]Compression{".gz": Gzip, ".gzip": Gzip, ".zst": Zstd, ".zstd": Zstd, ".bz2": Bzip2}

// compressionByName tells a compression from name's extension.
func compressionByName(name string) Compression {
	return compressionExts[strings.ToLower(path.Ext(strings.TrimSuffix(name, "/")))]
}

// trimCompressionExt removes a compression extension: "a.csv.gz" → "a.csv".
func trimCompressionExt(name string) string {
	if compressionByName(name) != Uncompressed {
		return strings.TrimSuffix(name, path.Ext(name))
	}
	return name
}

// compressionByMagic tells a compression from a file's first bytes.
func compressionByMagic(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return Gzip
	case bytes.HasPrefix(head, []byte("\x28\xb5\x2f\xfd")):
		return Zstd
	case len(head) >= 4 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9':
		return Bzip2
	}
	return Uncompressed
}

// sniffCompression returns src's compression: by name, else by its first
// bytes (one short read).
func sniffCompression(ctx context.Context, src storage.Source) (Compression, error) {
	if c := compressionByName(src.Name()); c != Uncompressed {
		return c, nil
	}
	r, err := src.Open(ctx)
	if err != nil {
		return "", err
	}
	defer r.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: %w", src.Name(), err)
	}
	return compressionByMagic(head[:n]), nil
}

// decompressed is a compressed source read as its content. Errors keep
// the file's name; lines and rows count in the decompressed text.
type decompressed struct {
	src storage.Source
	c   Compression
}

func (d decompressed) Name() string { return d.src.Name() }

// Size is unknown before the whole file is read.
func (d decompressed) Size() int64 { return -1 }

func (d decompressed) Open(ctx context.Context) (io.ReadCloser, error) {
	r, err := d.src.Open(ctx)
	if err != nil {
		return nil, err
	}
	var dr io.Reader
	closeDec := func() {}
	switch d.c {
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: not valid gzip data: %w", d.src.Name(), err)
		}
		dr = z
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: %w", d.src.Name(), err)
		}
		dr, closeDec = z, z.Close
	case Bzip2:
		dr = bzip2.NewReader(r)
	default:
		return r, nil
	}
	return &decompressReader{r: dr, under: r, closeDec: closeDec, name: d.src.Name(), c: d.c}, nil
}

type decompressReader struct {
	r        io.Reader
	under    io.Closer
	closeDec func()
	name     string
	c        Compression
}

func (d *decompressReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, context.Canceled) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("%s: the %s data ends early (truncated file?): %w", d.name, d.c, err)
		}
		return n, fmt.Errorf("%s: damaged %s data: %w", d.name, d.c, err)
	}
	return n, err
}

func (d *decompressReader) Close() error {
	d.closeDec()
	return d.under.Close()
}

// decompressSources wraps each compressed source so that reading it
// yields its content. For Parquet (random access), a compressed file is
// decompressed into memory.
func decompressSources(ctx context.Context, srcs []storage.Source, f Format) ([]storage.Source, error) {
	out := make([]storage.Source, len(srcs))
	for i, s := range srcs {
		c, err := sniffCompression(ctx, s)
		if err != nil {
			return nil, err
		}
		out[i] = s
		if c == Uncompressed {
			continue
		}
		d := decompressed{s, c}
		if f != Parquet {
			out[i] = d
			continue
		}
		r, err := d.Open(ctx)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		out[i] = storage.BytesSource(s.Name(), data)
	}
	return out, nil
}

// anyCompressed returns the first compressed source, or "".
func anyCompressed(ctx context.Context, srcs []storage.Source) (string, Compression, error) {
	for _, s := range srcs {
		c, err := sniffCompression(ctx, s)
		if err != nil {
			return "", "", err
		}
		if c != Uncompressed {
			return s.Name(), c, nil
		}
	}
	return "", "", nil
}
