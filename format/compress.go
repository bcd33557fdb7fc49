package format

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
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
	return decompress(r, d.src.Name(), d.c)
}

// decompress returns the content of r, compressed with c, named name in
// errors; closing it closes r.
func decompress(r io.ReadCloser, name string, c Compression) (io.ReadCloser, error) {
	var dr io.Reader
	closeDec := func() {}
	switch c {
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: not valid gzip data: %w", name, err)
		}
		dr = z
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		dr, closeDec = z, z.Close
	case Bzip2:
		dr = bzip2.NewReader(r)
	default:
		return r, nil
	}
	return &decompressReader{r: dr, under: r, closeDec: closeDec, name: name, c: c}, nil
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
func decompressSources(ctx context.Context, srcs []storage.Source, codecs []Compression, f Format) ([]storage.Source, error) {
	out := make([]storage.Source, len(srcs))
	for i, s := range srcs {
		c := codecs[i]
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

func init() { engine.RegisterReader(&decompressFiles{}) }

// decompressFiles is a read whose split i decompresses file In[i],
// streaming, into Out[i]: how a cluster's workers read a compressed input
// (whose text has no byte ranges to split at) — first decompressed by one
// worker per file into the engine's scratch location, then read in
// splits like any file. Its report is the decompressed size.
type decompressFiles struct {
	Storage storage.Options
	In      []compressedFile
	Out     []string
}

type compressedFile struct {
	URI, Version string
	Size         int64
	Codec        Compression
}

func (*decompressFiles) KernelName() string { return "format.Decompress" }
func (d *decompressFiles) NumSplits() int   { return len(d.In) }

func (d *decompressFiles) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	st := storage.New(d.Storage)
	f := d.In[i]
	cr, err := st.Open(ctx, f.URI)
	if err != nil {
		return nil, nil, err
	}
	r, err := decompress(cr, f.URI, f.Codec)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	w, err := st.Create(ctx, d.Out[i])
	if err != nil {
		return nil, nil, err
	}
	n, err := io.Copy(w, r)
	if err != nil {
		_ = w.Abort()
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("write %s: %w", d.Out[i], err)
	}
	return nil, binary.AppendVarint(nil, n), nil
}

// sniffAll tells each source's compression (sniffCompression), once for
// the whole read.
func sniffAll(ctx context.Context, srcs []storage.Source) ([]Compression, error) {
	out := make([]Compression, len(srcs))
	for i, s := range srcs {
		c, err := sniffCompression(ctx, s)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// stageDecompressed has e's workers decompress the compressed sources
// into e's scratch location (one worker per file; no byte passes through
// this process) and returns the sources with each compressed one
// replaced by its decompressed copy, under its own name.
func stageDecompressed(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, codecs []Compression) ([]storage.Source, error) {
	d := &decompressFiles{Storage: st.ForWorkers()}
	var at []int
	for i, s := range srcs {
		c := codecs[i]
		if c == Uncompressed {
			continue
		}
		f := compressedFile{URI: s.Name(), Size: s.Size(), Codec: c}
		if v, ok := s.(interface{ Version() string }); ok {
			f.Version = v.Version()
		}
		d.In = append(d.In, f)
		at = append(at, i)
	}
	if len(at) == 0 {
		return srcs, nil
	}
	dir, ok, err := engine.ScratchDir(ctx, e)
	if err == nil && !ok {
		err = fmt.Errorf("the %s engine has no scratch location shared by its workers", e.Name())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s-compressed input: %w; decompress it first", d.In[0].URI, d.In[0].Codec, err)
	}
	if loc, err := storage.Parse(dir); err == nil && !loc.IsS3() {
		if abs, err := filepath.Abs(loc.Path); err == nil {
			dir = abs
		}
	}
	for _, f := range d.In {
		// Named by what it holds, so that a rerun finds it.
		h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%s", f.URI, f.Version, f.Size, f.Codec))
		d.Out = append(d.Out, storage.Join(dir, "decompressed-"+hex.EncodeToString(h[:8])+"-"+path.Base(trimCompressionExt(f.URI))))
	}
	res, err := e.ReadSplits(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", d.In[0].URI, err)
	}
	out := slices.Clone(srcs)
	for k, i := range at {
		objs, err := st.Sources(ctx, d.Out[k])
		if err != nil {
			return nil, fmt.Errorf("decompressed copy of %s: %w", d.In[k].URI, err)
		}
		if n, _ := binary.Varint(res[k].Report); len(objs) != 1 || objs[0].Size() != n {
			return nil, fmt.Errorf("decompressed copy of %s: %d objects at %s, want one of %d bytes", d.In[k].URI, len(objs), d.Out[k], n)
		}
		out[i] = storage.Renamed(objs[0], srcs[i].Name())
	}
	return out, nil
}
