package storage

import (
	"bytes"
	"context"
	"io"
)

// Source is one readable input that can be opened again (a reader that
// must restart, e.g. after widening an inferred type, opens it anew).
type Source interface {
	// Name is what errors call the input: its path or URI.
	Name() string
	// Size is the input's length in bytes, or -1 when unknown.
	Size() int64
	// Open starts a streaming read from the beginning.
	Open(ctx context.Context) (io.ReadCloser, error)
}

type objectSource struct {
	store *Store
	obj   Object
}

func (o objectSource) Name() string { return o.obj.URI }

// Version is the object's Object.Version.
func (o objectSource) Version() string { return o.obj.Version }
func (o objectSource) Size() int64     { return o.obj.Size }
func (o objectSource) Open(ctx context.Context) (io.ReadCloser, error) {
	return o.store.Open(ctx, o.obj.URI)
}

// Sources lists uri (see List) and returns each object as a Source.
func (s *Store) Sources(ctx context.Context, uri string) ([]Source, error) {
	objs, err := s.List(ctx, uri)
	if err != nil {
		return nil, err
	}
	out := make([]Source, len(objs))
	for i, o := range objs {
		out[i] = objectSource{store: s, obj: o}
	}
	return out, nil
}

type bytesSource struct {
	name string
	data []byte
}

// BytesSource returns an in-memory Source, for tests and small inputs.
func BytesSource(name string, data []byte) Source { return bytesSource{name, data} }

func (b bytesSource) Name() string { return b.name }
func (b bytesSource) Size() int64  { return int64(len(b.data)) }
func (b bytesSource) Open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// RandomAccess is a Source that can also be read at random offsets
// (Parquet needs it). Sources from Store.Sources and BytesSource are.
type RandomAccess interface {
	Source
	OpenReaderAt(ctx context.Context) (ReaderAt, error)
}

func (o objectSource) OpenReaderAt(ctx context.Context) (ReaderAt, error) {
	return o.store.OpenReaderAt(ctx, o.obj.URI)
}

func (b bytesSource) OpenReaderAt(context.Context) (ReaderAt, error) {
	return bytesReaderAt{bytes.NewReader(b.data)}, nil
}

type bytesReaderAt struct{ *bytes.Reader }

func (bytesReaderAt) Close() error { return nil }

// Renamed returns src under another name: messages call it name, while
// it is read from src (Location). A staged copy of an input (a
// compressed file decompressed for a cluster's workers) keeps the name
// the user gave.
func Renamed(src Source, name string) Source { return renamed{src, name} }

type renamed struct {
	Source
	name string
}

func (r renamed) Name() string { return r.name }

// Location is where the source is read from.
func (r renamed) Location() string { return r.Source.Name() }

// Version is the read object's version, if it has one.
func (r renamed) Version() string {
	if v, ok := r.Source.(interface{ Version() string }); ok {
		return v.Version()
	}
	return ""
}

// ReadFrom returns where src is read from: its Name, unless it was
// Renamed.
func ReadFrom(src Source) string {
	if l, ok := src.(interface{ Location() string }); ok {
		return l.Location()
	}
	return src.Name()
}
