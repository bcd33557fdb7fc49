// Package colfile stores one partition (a table.Batch) as an Apache Arrow
// IPC file, the Beam engine's staging format: reading one back needs
// almost no decoding. Numbers, vector values and indices, validity
// bitmaps and string bytes are used where they lie in the file's bytes
// (Arrow aligns every buffer to 8 bytes and more), so a read costs one
// copy from the page cache and one allocation per column, whatever the
// row count; only booleans (bit-packed in Arrow) are unpacked.
//
// The layout, per Spindle column type:
//
//	string       large_utf8
//	int64        int64
//	float64      float64
//	bool         bool
//	string list  large_list<large_utf8>
//	vector       struct<size: int32, indices: large_list<int32>, values: large_list<float64>>
//	             (indices null for a dense vector)
//	bins         fixed_size_binary(width): a row's bin indexes, one byte each
//
// A vector field's categorical features (table.Field.Categories) travel
// as the field metadata "spindle.categories". A batch's table.Origin
// travels as the schema metadata "origin.file" and
// "origin.unit" and an extra int64 column "__origin_line".
//
// Encode ends the file with a CRC-32C of the Arrow bytes and the magic
// "SPC1"; Decode checks it before arrow-go reads anything, so a damaged
// file (a truncated upload, a flipped bit) is an error. arrow-go's
// flatbuffer readers index the file's metadata and size allocations by
// its counts without checks of their own (fuzzing found a field count
// that asks for 350 GB): only files Encode wrote are to be decoded.
//
// The file's bytes are kept, not copied: the batch Decode returns views
// them, and the caller must not change them afterwards. The files are not
// memory-mapped: a mapping would have to outlive every view of it, which
// the garbage collector cannot see to; reading the file into the heap
// costs one copy at memory speed.
package colfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

const originLine = "__origin_line"

// categoriesKey is the Arrow field metadata holding table.Field.Categories.
const categoriesKey = "spindle.categories"

var vectorType = arrow.StructOf(
	arrow.Field{Name: "size", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "indices", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	arrow.Field{Name: "values", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Float64)},
)

func arrowType(t table.Type) (arrow.DataType, error) {
	switch t {
	case table.String:
		return arrow.BinaryTypes.LargeString, nil
	case table.Int64:
		return arrow.PrimitiveTypes.Int64, nil
	case table.Float64:
		return arrow.PrimitiveTypes.Float64, nil
	case table.Bool:
		return arrow.FixedWidthTypes.Boolean, nil
	case table.StringList:
		return arrow.LargeListOf(arrow.BinaryTypes.LargeString), nil
	case table.Vector:
		return vectorType, nil
	}
	return nil, fmt.Errorf("colfile: no layout for column type %v", t)
}

// typeOf returns the Arrow type of column c of type t: a bins column's
// carries its width.
func typeOf(c table.Column, t table.Type) (arrow.DataType, error) {
	if b, ok := c.(*table.BinsColumn); ok && t == table.Bins {
		return &arrow.FixedSizeBinaryType{ByteWidth: b.Width}, nil
	}
	return arrowType(t)
}

// Encode writes b to w as an Arrow IPC file of one record batch.
func Encode(w io.Writer, b *table.Batch) error {
	fields := make([]arrow.Field, 0, len(b.Columns())+1)
	arrays := make([]arrow.Array, 0, len(b.Columns())+1)
	defer func() {
		for _, a := range arrays {
			a.Release()
		}
	}()
	n := b.NumRows()
	for i, c := range b.Columns() {
		f := b.Schema().Fields[i]
		typ, err := typeOf(c, f.Type)
		if err != nil {
			return err
		}
		a, err := toArrow(c, typ, n)
		if err != nil {
			return fmt.Errorf("colfile: column %q: %w", f.Name, err)
		}
		af := arrow.Field{Name: f.Name, Type: typ, Nullable: true}
		if f.Categories != "" {
			af.Metadata = arrow.NewMetadata([]string{categoriesKey}, []string{f.Categories})
		}
		fields = append(fields, af)
		arrays = append(arrays, a)
	}
	var md arrow.Metadata
	if o := b.Origin(); o != nil {
		md = arrow.NewMetadata([]string{"origin.file", "origin.unit"}, []string{o.File, o.Unit})
		fields = append(fields, arrow.Field{Name: originLine, Type: arrow.PrimitiveTypes.Int64})
		arrays = append(arrays, array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, bytesOf(o.Lines)}, nil, 0, 0)))
	}
	schema := arrow.NewSchema(fields, &md)
	rec := array.NewRecordBatch(schema, arrays, int64(n))
	defer rec.Release()
	crc := crc32.New(castagnoli)
	fw, err := ipc.NewFileWriter(io.MultiWriter(w, crc), ipc.WithSchema(schema))
	if err != nil {
		return fmt.Errorf("colfile: %w", err)
	}
	if err := fw.Write(rec); err != nil {
		return fmt.Errorf("colfile: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("colfile: %w", err)
	}
	trailer := binary.LittleEndian.AppendUint32(nil, crc.Sum32())
	if _, err := w.Write(append(trailer, magic...)); err != nil {
		return fmt.Errorf("colfile: %w", err)
	}
	return nil
}

// The trailer: CRC-32C (Castagnoli, computed in hardware) of the Arrow
// bytes, then magic.
var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	magic      = []byte("SPC1")
)

const trailerLen = 8

// bytesOf views a slice's memory as an Arrow buffer (no copy).
func bytesOf[T any](s []T) *memory.Buffer {
	if len(s) == 0 {
		return memory.NewBufferBytes(nil)
	}
	var zero T
	return memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero))))
}

// validity returns the Arrow validity buffer of a bitmap (the same bits,
// little-endian) and its null count.
func validity(v table.Bitmap, n int) (*memory.Buffer, int) {
	if v == nil {
		return nil, 0
	}
	nulls := 0
	for i := range n {
		if !v.Valid(i) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	return bytesOf(v), nulls
}

// strings lays out ss as Arrow large_utf8 offsets and bytes.
func stringsData(ss []string, valid *memory.Buffer, nulls int) arrow.ArrayData {
	offs := make([]int64, len(ss)+1)
	total := 0
	for i, s := range ss {
		total += len(s)
		offs[i+1] = int64(total)
	}
	data := make([]byte, 0, total)
	for _, s := range ss {
		data = append(data, s...)
	}
	return array.NewData(arrow.BinaryTypes.LargeString, len(ss), []*memory.Buffer{valid, bytesOf(offs), memory.NewBufferBytes(data)}, nil, nulls, 0)
}

func toArrow(c table.Column, typ arrow.DataType, n int) (arrow.Array, error) {
	switch c := c.(type) {
	case *table.StringColumn:
		valid, nulls := validity(c.Valid, n)
		return array.MakeFromData(stringsData(c.Values, valid, nulls)), nil
	case *table.Int64Column:
		valid, nulls := validity(c.Valid, n)
		return array.NewInt64Data(array.NewData(typ, n, []*memory.Buffer{valid, bytesOf(c.Values)}, nil, nulls, 0)), nil
	case *table.Float64Column:
		valid, nulls := validity(c.Valid, n)
		return array.NewFloat64Data(array.NewData(typ, n, []*memory.Buffer{valid, bytesOf(c.Values)}, nil, nulls, 0)), nil
	case *table.BoolColumn:
		valid, nulls := validity(c.Valid, n)
		bits := make([]byte, (n+7)/8)
		for i, v := range c.Values {
			if v {
				bits[i/8] |= 1 << (i % 8)
			}
		}
		return array.NewBooleanData(array.NewData(typ, n, []*memory.Buffer{valid, memory.NewBufferBytes(bits)}, nil, nulls, 0)), nil
	case *table.StringListColumn:
		valid, nulls := validity(c.Valid, n)
		offs := make([]int64, n+1)
		var all []string
		for i, l := range c.Values {
			all = append(all, l...)
			offs[i+1] = int64(len(all))
		}
		child := stringsData(all, nil, 0)
		return array.MakeFromData(array.NewData(typ, n, []*memory.Buffer{valid, bytesOf(offs)}, []arrow.ArrayData{child}, nulls, 0)), nil
	case *table.BinsColumn:
		valid, nulls := validity(c.Valid, n)
		return array.NewFixedSizeBinaryData(array.NewData(typ, n, []*memory.Buffer{valid, memory.NewBufferBytes(c.Data)}, nil, nulls, 0)), nil
	case *table.VectorColumn:
		valid, nulls := validity(c.Valid, n)
		sizes := make([]int32, n)
		ioffs := make([]int64, n+1)
		voffs := make([]int64, n+1)
		var dense []bool
		var idx []int32
		var vals []float64
		for i, v := range c.Values {
			if v.Size > math.MaxInt32 {
				return nil, fmt.Errorf("row %d: vector size %d does not fit int32", i, v.Size)
			}
			sizes[i] = int32(v.Size)
			if v.Indices == nil {
				if dense == nil {
					dense = make([]bool, n)
				}
				dense[i] = true
			}
			idx = append(idx, v.Indices...)
			vals = append(vals, v.Values...)
			ioffs[i+1], voffs[i+1] = int64(len(idx)), int64(len(vals))
		}
		// indices is null for dense vectors (and for null rows).
		ivalid := make([]byte, (n+7)/8)
		inulls := 0
		for i := range n {
			if (dense == nil || !dense[i]) && c.Valid.Valid(i) {
				ivalid[i/8] |= 1 << (i % 8)
			} else {
				inulls++
			}
		}
		st := vectorType
		sizeData := array.NewData(st.Field(0).Type, n, []*memory.Buffer{nil, bytesOf(sizes)}, nil, 0, 0)
		idxChild := array.NewData(arrow.PrimitiveTypes.Int32, len(idx), []*memory.Buffer{nil, bytesOf(idx)}, nil, 0, 0)
		idxData := array.NewData(st.Field(1).Type, n, []*memory.Buffer{memory.NewBufferBytes(ivalid), bytesOf(ioffs)}, []arrow.ArrayData{idxChild}, inulls, 0)
		valChild := array.NewData(arrow.PrimitiveTypes.Float64, len(vals), []*memory.Buffer{nil, bytesOf(vals)}, nil, 0, 0)
		valData := array.NewData(st.Field(2).Type, n, []*memory.Buffer{nil, bytesOf(voffs)}, []arrow.ArrayData{valChild}, 0, 0)
		return array.MakeFromData(array.NewData(st, n, []*memory.Buffer{valid}, []arrow.ArrayData{sizeData, idxData, valData}, nulls, 0)), nil
	}
	return nil, fmt.Errorf("unsupported column %T", c)
}

// Decode reads a batch Encode wrote from data, which it keeps: the
// batch's columns view data's bytes.
func Decode(data []byte) (b *table.Batch, err error) {
	// arrow-go's flatbuffer accessors index the file's metadata without
	// bounds checks of their own, so a damaged file (a truncated upload)
	// can panic inside them: that is an error about the file here.
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("colfile: damaged Arrow IPC file: %v", p)
		}
	}()
	if len(data) < trailerLen || !bytes.Equal(data[len(data)-4:], magic) {
		return nil, errors.New("colfile: not a staged partition file (no trailer): truncated or foreign")
	}
	body := data[:len(data)-trailerLen]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(data[len(body):]); got != want {
		return nil, fmt.Errorf("colfile: damaged file: CRC-32C %08x, the trailer says %08x", got, want)
	}
	data = body
	fr, err := ipc.NewMappedFileReader(data, ipc.WithBodySizeLimit(int64(len(data))+1))
	if err != nil {
		return nil, fmt.Errorf("colfile: %w", err)
	}
	defer fr.Close()
	if fr.NumRecords() != 1 {
		return nil, fmt.Errorf("colfile: %d record batches, want 1", fr.NumRecords())
	}
	rec, err := fr.RecordBatch(0)
	if err != nil {
		return nil, fmt.Errorf("colfile: %w", err)
	}
	as := fr.Schema()
	n := int(rec.NumRows())
	var fields []table.Field
	var cols []table.Column
	var origin *table.Origin
	for j, f := range as.Fields() {
		a := rec.Column(j)
		if a.Len() != n {
			return nil, fmt.Errorf("colfile: column %q has %d rows, the batch %d", f.Name, a.Len(), n)
		}
		if f.Name == originLine && j == len(as.Fields())-1 {
			lines, ok := a.(*array.Int64)
			if !ok {
				return nil, fmt.Errorf("colfile: %s is %v", originLine, a.DataType())
			}
			md := as.Metadata()
			origin = &table.Origin{Lines: lines.Int64Values(), File: value(md, "origin.file"), Unit: value(md, "origin.unit")}
			continue
		}
		t, c, err := fromArrow(a, n)
		if err != nil {
			return nil, fmt.Errorf("colfile: column %q: %w", f.Name, err)
		}
		fields = append(fields, table.Field{Name: f.Name, Type: t, Categories: value(f.Metadata, categoriesKey)})
		cols = append(cols, c)
	}
	schema, err := table.NewSchema(fields...)
	if err != nil {
		return nil, fmt.Errorf("colfile: %w", err)
	}
	b, err = table.NewBatch(schema, cols)
	if err != nil {
		return nil, fmt.Errorf("colfile: %w", err)
	}
	if origin != nil {
		b = b.WithOrigin(origin)
	}
	return b, nil
}

func value(md arrow.Metadata, key string) string {
	if i := md.FindKey(key); i >= 0 {
		return md.Values()[i]
	}
	return ""
}

// bitmap views an array's validity as a table.Bitmap (nil: no nulls).
func bitmap(a arrow.Array, n int) (table.Bitmap, error) {
	if a.NullN() == 0 {
		return nil, nil
	}
	if a.Data().Offset() != 0 {
		return nil, fmt.Errorf("array offset %d", a.Data().Offset())
	}
	buf := a.Data().Buffers()[0].Bytes()
	words := (n + 63) / 64
	if len(buf) < words*8 {
		// Arrow pads buffers to 8 bytes at least; copy a short one.
		out := make(table.Bitmap, words)
		for i := range buf {
			out[i/8] |= uint64(buf[i]) << (8 * (i % 8))
		}
		return out, nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&buf[0])), words), nil
}

// view returns the strings of a large_utf8 array as views of its bytes.
func view(a *array.LargeString) []string {
	out := make([]string, a.Len())
	offs := a.ValueOffsets()
	data := a.ValueBytes()
	for i := range out {
		if lo, hi := offs[i]-offs[0], offs[i+1]-offs[0]; hi > lo {
			out[i] = unsafe.String(&data[lo], int(hi-lo))
		}
	}
	return out
}

func fromArrow(a arrow.Array, n int) (table.Type, table.Column, error) {
	valid, err := bitmap(a, n)
	if err != nil {
		return 0, nil, err
	}
	switch a := a.(type) {
	case *array.LargeString:
		return table.String, table.NewStringColumn(view(a), valid), nil
	case *array.Int64:
		return table.Int64, table.NewInt64Column(a.Int64Values(), valid), nil
	case *array.Float64:
		return table.Float64, table.NewFloat64Column(a.Float64Values(), valid), nil
	case *array.Boolean:
		v := make([]bool, n)
		for i := range v {
			v[i] = a.Value(i)
		}
		return table.Bool, table.NewBoolColumn(v, valid), nil
	case *array.LargeList:
		s, ok := a.ListValues().(*array.LargeString)
		if !ok {
			return 0, nil, fmt.Errorf("list of %v", a.ListValues().DataType())
		}
		all := view(s)
		offs := a.Offsets()
		v := make([][]string, n)
		for i := range v {
			if valid.Valid(i) {
				v[i] = all[offs[i]:offs[i+1]:offs[i+1]]
			}
		}
		return table.StringList, table.NewStringListColumn(v, valid), nil
	case *array.FixedSizeBinary:
		w := a.DataType().(*arrow.FixedSizeBinaryType).ByteWidth
		if a.Data().Offset() != 0 {
			return 0, nil, fmt.Errorf("array offset %d", a.Data().Offset())
		}
		data := a.Data().Buffers()[1].Bytes()
		if w <= 0 || len(data) < n*w {
			return 0, nil, fmt.Errorf("bins of width %d: %d bytes for %d rows", w, len(data), n)
		}
		c, err := table.NewBinsColumn(data[:n*w:n*w], w, valid)
		if err != nil {
			return 0, nil, err
		}
		return table.Bins, c, nil
	case *array.Struct:
		if !arrow.TypeEqual(a.DataType(), vectorType) {
			return 0, nil, fmt.Errorf("struct %v is not a vector", a.DataType())
		}
		sizes := a.Field(0).(*array.Int32).Int32Values()
		il, vl := a.Field(1).(*array.LargeList), a.Field(2).(*array.LargeList)
		idx := il.ListValues().(*array.Int32).Int32Values()
		vals := vl.ListValues().(*array.Float64).Float64Values()
		ioffs, voffs := il.Offsets(), vl.Offsets()
		v := make([]linalg.Vector, n)
		for i := range v {
			if !valid.Valid(i) {
				continue
			}
			lo, hi := voffs[i], voffs[i+1]
			if lo < 0 || hi < lo || hi > int64(len(vals)) {
				return 0, nil, fmt.Errorf("row %d: values [%d, %d) outside %d", i, lo, hi, len(vals))
			}
			v[i] = linalg.Vector{Size: int(sizes[i]), Values: vals[lo:hi:hi]}
			if il.IsValid(i) {
				ilo, ihi := ioffs[i], ioffs[i+1]
				if ilo < 0 || ihi < ilo || ihi > int64(len(idx)) || ihi-ilo != hi-lo {
					return 0, nil, fmt.Errorf("row %d: indices [%d, %d) do not match values [%d, %d)", i, ilo, ihi, lo, hi)
				}
				v[i].Indices = idx[ilo:ihi:ihi]
				if v[i].Indices == nil {
					v[i].Indices = []int32{} // sparse with no entries, not dense
				}
			} else {
				// Dense rows stay views of one array (table.DenseBlock
				// reads them in place).
				v[i].Values = vals[lo:hi]
			}
		}
		return table.Vector, table.NewVectorColumn(v, valid), nil
	}
	return 0, nil, fmt.Errorf("no Spindle type for %v", a.DataType())
}

// Sniff reports whether data starts like an Arrow IPC file.
func Sniff(data []byte) bool { return bytes.HasPrefix(data, []byte("ARROW1")) }
