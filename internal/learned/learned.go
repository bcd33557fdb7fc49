// Package learned writes what a fitted model learned — the exported
// fields of its struct that are not parameters (ml.DataFields) — as a
// one-row Parquet file, and reads it back exactly. Each learned field is
// one column, named as ml.DataName names it ("coefficients"), of the
// Arrow type its Go type maps to:
//
//	bool → bool            int, int64 → int64       int32 → int32
//	uint8 → uint8          uint64 → uint64          float32 → float32
//	float64 → double       string → utf8            []byte → binary
//	[]T → list<T>          map[K]V → map<K, V>      struct → struct<…>
//	*T → T, nullable (nil is null)
//
// A nil list or map is null, an empty one is empty; floats keep their
// bits (NaN, ±Inf, −0). Maps are written in key order, so equal models
// give equal files. Any Parquet or Arrow reader opens the file: in pandas,
// pd.read_parquet(path).coefficients[0] is a logistic regression's
// coefficients.
//
// Reading is strict: the file must hold exactly one row and exactly the
// model type's columns, each of its exact type; the error names the file's
// column and what was expected. A corrupt file is an error, never a panic.
package learned

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
)

// Column describes one column of a model's learned data.
type Column struct {
	Name string `json:"name"`
	// Type is the Arrow type, as Arrow prints it ("list<item: double, nullable>").
	Type string `json:"type"`
}

// Schema returns the Arrow schema of the learned data of a model type (a
// struct type or a pointer to one), or an error naming a field whose
// type has no column form.
func Schema(t reflect.Type) (*arrow.Schema, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var fields []arrow.Field
	for _, f := range ml.DataFields(t) {
		dt, nullable, err := arrowType(f.Type, 0)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		fields = append(fields, arrow.Field{Name: ml.DataName(f), Type: dt, Nullable: nullable})
	}
	return arrow.NewSchema(fields, nil), nil
}

// Columns lists the columns of a schema as Column values.
func Columns(s *arrow.Schema) []Column {
	out := make([]Column, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = Column{Name: f.Name, Type: f.Type.String()}
	}
	return out
}

// arrowType maps a Go type to an Arrow type and whether a value of it can
// be null.
func arrowType(t reflect.Type, depth int) (arrow.DataType, bool, error) {
	if depth > 32 {
		return nil, false, errors.New("type nested too deep")
	}
	switch t.Kind() {
	case reflect.Bool:
		return arrow.FixedWidthTypes.Boolean, false, nil
	case reflect.Int, reflect.Int64:
		return arrow.PrimitiveTypes.Int64, false, nil
	case reflect.Int32:
		return arrow.PrimitiveTypes.Int32, false, nil
	case reflect.Uint8:
		return arrow.PrimitiveTypes.Uint8, false, nil
	case reflect.Uint64:
		return arrow.PrimitiveTypes.Uint64, false, nil
	case reflect.Float32:
		return arrow.PrimitiveTypes.Float32, false, nil
	case reflect.Float64:
		return arrow.PrimitiveTypes.Float64, false, nil
	case reflect.String:
		return arrow.BinaryTypes.String, false, nil
	case reflect.Pointer:
		dt, _, err := arrowType(t.Elem(), depth+1)
		return dt, true, err
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return arrow.BinaryTypes.Binary, true, nil
		}
		et, nullable, err := arrowType(t.Elem(), depth+1)
		if err != nil {
			return nil, false, err
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: et, Nullable: nullable}), true, nil
	case reflect.Map:
		kt, kn, err := arrowType(t.Key(), depth+1)
		if err != nil || kn {
			return nil, false, fmt.Errorf("map key %s has no column form", t.Key())
		}
		vt, vn, err := arrowType(t.Elem(), depth+1)
		if err != nil {
			return nil, false, err
		}
		mt := arrow.MapOfWithMetadata(kt, arrow.Metadata{}, vt, arrow.Metadata{})
		mt.SetItemNullable(vn)
		return mt, true, nil
	case reflect.Struct:
		var fields []arrow.Field
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
				continue
			}
			dt, nullable, err := arrowType(f.Type, depth+1)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", f.Name, err)
			}
			fields = append(fields, arrow.Field{Name: ml.DataName(f), Type: dt, Nullable: nullable})
		}
		return arrow.StructOf(fields...), false, nil
	}
	return nil, false, fmt.Errorf("a %s has no column form", t)
}

// fieldCache holds the exported fields of the struct types met during
// one Write or Read (reflect.VisibleFields per value would be most of the
// work for a model of thousands of tree nodes).
type fieldCache map[reflect.Type][]reflect.StructField

func (c fieldCache) of(t reflect.Type) []reflect.StructField {
	if fs, ok := c[t]; ok {
		return fs
	}
	var fs []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			fs = append(fs, f)
		}
	}
	c[t] = fs
	return fs
}

// Write returns the learned data of model (a pointer to a model struct)
// as a one-row Parquet file (snappy-compressed), or nil when the model
// learned nothing (a transformer).
func Write(model any) ([]byte, error) {
	v := reflect.ValueOf(model)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	schema, err := Schema(v.Type())
	if err != nil {
		return nil, err
	}
	if schema.NumFields() == 0 {
		return nil, nil
	}
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	fc := fieldCache{}
	for i, f := range ml.DataFields(v.Type()) {
		if err := appendValue(fc, b.Field(i), v.FieldByIndex(f.Index)); err != nil {
			return nil, fmt.Errorf("column %s: %w", ml.DataName(f), err)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := pq.NewWriterProperties(pq.WithCompression(compress.Codecs.Snappy), pq.WithDictionaryDefault(false),
		pq.WithStats(false), pq.WithCreatedBy("spindle"))
	fw, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, err
	}
	if err := fw.Write(rec); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendValue appends the Go value v to builder b (of v's Arrow type).
func appendValue(fc fieldCache, b array.Builder, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.AppendNull()
			return nil
		}
		return appendValue(fc, b, v.Elem())
	case reflect.Bool:
		b.(*array.BooleanBuilder).Append(v.Bool())
	case reflect.Int, reflect.Int64:
		b.(*array.Int64Builder).Append(v.Int())
	case reflect.Int32:
		b.(*array.Int32Builder).Append(int32(v.Int()))
	case reflect.Uint8:
		b.(*array.Uint8Builder).Append(uint8(v.Uint()))
	case reflect.Uint64:
		b.(*array.Uint64Builder).Append(v.Uint())
	case reflect.Float32:
		b.(*array.Float32Builder).Append(float32(v.Float()))
	case reflect.Float64:
		b.(*array.Float64Builder).Append(v.Float())
	case reflect.String:
		b.(*array.StringBuilder).Append(v.String())
	case reflect.Slice:
		if v.IsNil() {
			b.AppendNull()
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b.(*array.BinaryBuilder).Append(v.Bytes())
			return nil
		}
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder()
		if fast(vb, v) {
			return nil
		}
		for i := range v.Len() {
			if err := appendValue(fc, vb, v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			b.AppendNull()
			return nil
		}
		mb := b.(*array.MapBuilder)
		mb.Append(true)
		keys := v.MapKeys()
		slices.SortFunc(keys, compareKeys)
		for _, k := range keys {
			if err := appendValue(fc, mb.KeyBuilder(), k); err != nil {
				return err
			}
			if err := appendValue(fc, mb.ItemBuilder(), v.MapIndex(k)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		for i, f := range fc.of(v.Type()) {
			if err := appendValue(fc, sb.FieldBuilder(i), v.FieldByIndex(f.Index)); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	default:
		return fmt.Errorf("a %s has no column form", v.Type())
	}
	return nil
}

// fast appends a numeric slice to its list's value builder at once.
func fast(b array.Builder, v reflect.Value) bool {
	if !v.CanInterface() {
		return false
	}
	switch s := v.Interface().(type) {
	case []float64:
		b.(*array.Float64Builder).AppendValues(s, nil)
	case []float32:
		b.(*array.Float32Builder).AppendValues(s, nil)
	case []int64:
		b.(*array.Int64Builder).AppendValues(s, nil)
	case []int32:
		b.(*array.Int32Builder).AppendValues(s, nil)
	case []string:
		b.(*array.StringBuilder).AppendValues(s, nil)
	default:
		return false
	}
	return true
}

func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Int, reflect.Int32, reflect.Int64:
		return cmp.Compare(a.Int(), b.Int())
	case reflect.Uint8, reflect.Uint64:
		return cmp.Compare(a.Uint(), b.Uint())
	case reflect.Float32, reflect.Float64:
		return cmp.Compare(a.Float(), b.Float())
	case reflect.Bool:
		return cmp.Compare(fmt.Sprint(a.Bool()), fmt.Sprint(b.Bool()))
	}
	return 0
}

// Read sets the learned fields of model (a pointer to a zero model
// struct) from data, a file Write made for the same type. It checks the
// file holds one row and exactly the type's columns, each of its type.
func Read(data []byte, model any) (err error) {
	// Arrow's Parquet reader can panic on data crafted to be wrong; a
	// model file is then an error like any other.
	defer func() {
		if p := recover(); p != nil {
			if p == errBudget {
				err = fmt.Errorf("the data decodes to more than %d bytes a %d-byte file can hold (a corrupt or hostile file)", max(256<<20, 64*int64(len(data))), len(data))
				return
			}
			err = fmt.Errorf("not a readable Parquet file (%v)", p)
		}
	}()
	v := reflect.ValueOf(model)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("cannot read learned data into %T", model)
	}
	v = v.Elem()
	want, err := Schema(v.Type())
	if err != nil {
		return err
	}
	if err := checkFooter(data); err != nil {
		return err
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	defer pf.Close()
	if err := checkLayout(pf, want, len(data)); err != nil {
		return err
	}
	// Every buffer Arrow decodes into comes out of a budget: what a file
	// claims cannot make the reader allocate without bound.
	mem := &budget{Allocator: memory.NewGoAllocator()}
	mem.left.Store(max(256<<20, 64*int64(len(data))))
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	got, err := fr.Schema()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := sameSchema(got, want); err != nil {
		return err
	}
	if n := pf.NumRows(); n != 1 {
		return fmt.Errorf("%d rows; a model's data is one row", n)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer tbl.Release()
	fc := fieldCache{}
	for i, f := range ml.DataFields(v.Type()) {
		col := tbl.Column(i)
		if col.Len() != 1 || len(col.Data().Chunks()) == 0 {
			return fmt.Errorf("column %s: %d values, want 1", col.Name(), col.Len())
		}
		var arr arrow.Array
		for _, c := range col.Data().Chunks() {
			if c.Len() == 1 {
				arr = c
			}
		}
		if arr == nil {
			return fmt.Errorf("column %s: no value", col.Name())
		}
		if err := setValue(fc, v.FieldByIndex(f.Index), arr, 0); err != nil {
			return fmt.Errorf("column %s: %w", col.Name(), err)
		}
	}
	return nil
}

// Bounds on what Read accepts before it decodes anything. Spindle writes
// footers of a few kilobytes, a handful of columns nested a few levels,
// no dictionary, snappy pages (at most about 21 values a byte).
const (
	maxFooterBytes = 1 << 20
	maxLeafColumns = 1024
	maxNesting     = 64
)

// checkFooter checks the Parquet magic and that the footer's length is
// small and inside the file, before the footer is parsed (a schema
// nested a million levels deep would exhaust the stack building it).
func checkFooter(data []byte) error {
	if len(data) < 12 || string(data[:4]) != "PAR1" || string(data[len(data)-4:]) != "PAR1" {
		return errors.New("not a readable Parquet file: no PAR1 magic at both ends")
	}
	n := binary.LittleEndian.Uint32(data[len(data)-8:])
	if n > maxFooterBytes || int64(n) > int64(len(data)-12) {
		return fmt.Errorf("not a readable Parquet file: a footer of %d bytes in a %d-byte file (at most %d)", n, len(data), maxFooterBytes)
	}
	return nil
}

// checkLayout checks what the footer says before anything is decoded:
// the columns and their nesting are few, no column is
// dictionary-encoded (Write writes none, and a dictionary turns a few
// bytes into millions of values), and the values and page sizes are what
// a file of size bytes can hold.
func checkLayout(pf *file.Reader, want *arrow.Schema, size int) error {
	sc := pf.MetaData().Schema
	if sc.NumColumns() > maxLeafColumns {
		return fmt.Errorf("%d leaf columns; a model's data has at most %d", sc.NumColumns(), maxLeafColumns)
	}
	for i := range sc.NumColumns() {
		if c := sc.Column(i); c.MaxDefinitionLevel() > maxNesting || c.MaxRepetitionLevel() > maxNesting {
			return fmt.Errorf("column %s is nested %d levels deep; at most %d", c.Path(), c.MaxDefinitionLevel(), maxNesting)
		}
	}
	var values, bytes int64
	limit := max(1<<20, 32*int64(size))
	for g := range pf.NumRowGroups() {
		rg := pf.MetaData().RowGroup(g)
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return fmt.Errorf("row group %d, column %d: %w", g, j, err)
			}
			for _, e := range cc.Encodings() {
				if e == pq.Encodings.RLEDict || e == pq.Encodings.PlainDict {
					return fmt.Errorf("column %s is dictionary-encoded; a model's data is written without dictionaries", cc.PathInSchema())
				}
			}
			values += cc.NumValues()
			bytes += cc.TotalUncompressedSize()
		}
	}
	if values > limit || bytes > limit*8 || values < 0 || bytes < 0 {
		return fmt.Errorf("%d values (%d bytes uncompressed) in a %d-byte file: more than its pages can hold", values, bytes, size)
	}
	return nil
}

// errBudget is what budget panics with when a read would go over it.
var errBudget = errors.New("learned: allocation budget exceeded")

// budget is an allocator that refuses (by panicking with errBudget,
// which Read recovers) to hand out more than left bytes at once.
type budget struct {
	memory.Allocator
	left atomic.Int64
}

func (b *budget) take(n int) {
	if b.left.Add(-int64(n)) < 0 {
		panic(errBudget)
	}
}

// Allocate implements memory.Allocator.
func (b *budget) Allocate(size int) []byte {
	b.take(size)
	return b.Allocator.Allocate(size)
}

// Reallocate implements memory.Allocator.
func (b *budget) Reallocate(size int, old []byte) []byte {
	b.take(size - len(old))
	return b.Allocator.Reallocate(size, old)
}

// Free implements memory.Allocator.
func (b *budget) Free(buf []byte) {
	b.left.Add(int64(len(buf)))
	b.Allocator.Free(buf)
}

// sameSchema checks the file's columns are the model's, in order, each of
// its exact type.
func sameSchema(got, want *arrow.Schema) error {
	names := func(s *arrow.Schema) string {
		var out []string
		for _, f := range s.Fields() {
			out = append(out, f.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, f := range got.Fields() {
		if n := len(got.FieldIndices(f.Name)); n > 1 {
			return fmt.Errorf("column %s appears %d times", f.Name, n)
		}
		if len(want.FieldIndices(f.Name)) == 0 {
			return fmt.Errorf("column %s is not one this model has (its columns: %s): the file belongs to another stage", f.Name, names(want))
		}
	}
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns (%s), want %d (%s)", got.NumFields(), names(got), want.NumFields(), names(want))
	}
	for i, f := range want.Fields() {
		idx := got.FieldIndices(f.Name)
		if len(idx) == 0 {
			return fmt.Errorf("column %s is missing (the file has: %s)", f.Name, names(got))
		}
		if idx[0] != i {
			return fmt.Errorf("column %s is column %d, want %d", f.Name, idx[0]+1, i+1)
		}
		if g := got.Field(idx[0]); !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("column %s is %s, want %s", f.Name, g.Type, f.Type)
		}
	}
	return nil
}

// setValue sets dst from element i of arr (of dst's Arrow type).
func setValue(fc fieldCache, dst reflect.Value, arr arrow.Array, i int) error {
	if dst.Kind() == reflect.Pointer {
		if arr.IsNull(i) {
			dst.SetZero()
			return nil
		}
		p := reflect.New(dst.Type().Elem())
		if err := setValue(fc, p.Elem(), arr, i); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if arr.IsNull(i) {
		switch dst.Kind() {
		case reflect.Slice, reflect.Map:
			dst.SetZero()
			return nil
		}
		return fmt.Errorf("null where a %s is needed", dst.Type())
	}
	switch a := arr.(type) {
	case *array.Boolean:
		dst.SetBool(a.Value(i))
	case *array.Int64:
		if dst.OverflowInt(a.Value(i)) {
			return fmt.Errorf("%d does not fit a %s", a.Value(i), dst.Type())
		}
		dst.SetInt(a.Value(i))
	case *array.Int32:
		dst.SetInt(int64(a.Value(i)))
	case *array.Uint8:
		dst.SetUint(uint64(a.Value(i)))
	case *array.Uint64:
		dst.SetUint(a.Value(i))
	case *array.Float32:
		dst.SetFloat(float64(a.Value(i)))
	case *array.Float64:
		dst.SetFloat(a.Value(i))
	case *array.String:
		dst.SetString(a.Value(i))
	case *array.Binary:
		dst.SetBytes(slices.Clone(a.Value(i)))
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		n := int(hi - lo)
		vals := a.ListValues()
		if lo < 0 || hi < lo || int(hi) > vals.Len() {
			return fmt.Errorf("list bounds %d..%d outside %d values", lo, hi, vals.Len())
		}
		s := reflect.MakeSlice(dst.Type(), n, n)
		if !fastSet(s, vals, int(lo), int(hi)) {
			for k := range n {
				if err := setValue(fc, s.Index(k), vals, int(lo)+k); err != nil {
					return fmt.Errorf("item %d: %w", k, err)
				}
			}
		}
		dst.Set(s)
	case *array.Map:
		lo, hi := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		if lo < 0 || hi < lo || int(hi) > keys.Len() || int(hi) > items.Len() {
			return fmt.Errorf("map bounds %d..%d outside %d entries", lo, hi, keys.Len())
		}
		m := reflect.MakeMapWithSize(dst.Type(), int(hi-lo))
		for k := int(lo); k < int(hi); k++ {
			kv := reflect.New(dst.Type().Key()).Elem()
			if err := setValue(fc, kv, keys, k); err != nil {
				return fmt.Errorf("key %d: %w", k-int(lo), err)
			}
			iv := reflect.New(dst.Type().Elem()).Elem()
			if err := setValue(fc, iv, items, k); err != nil {
				return fmt.Errorf("item %v: %w", kv, err)
			}
			if m.MapIndex(kv).IsValid() {
				return fmt.Errorf("key %v twice", kv)
			}
			m.SetMapIndex(kv, iv)
		}
		dst.Set(m)
	case *array.Struct:
		fs := fc.of(dst.Type())
		if len(fs) != a.NumField() {
			return fmt.Errorf("struct has %d fields, want %d", a.NumField(), len(fs))
		}
		for k, f := range fs {
			if err := setValue(fc, dst.FieldByIndex(f.Index), a.Field(k), i); err != nil {
				return fmt.Errorf("%s: %w", ml.DataName(f), err)
			}
		}
	default:
		return fmt.Errorf("unexpected %s", arr.DataType())
	}
	return nil
}

// fastSet copies a numeric list's values into s at once.
func fastSet(s reflect.Value, vals arrow.Array, lo, hi int) bool {
	if vals.NullN() > 0 {
		return false
	}
	switch a := vals.(type) {
	case *array.Float64:
		if dst, ok := s.Interface().([]float64); ok {
			copy(dst, a.Float64Values()[lo:hi])
			return true
		}
	case *array.Float32:
		if dst, ok := s.Interface().([]float32); ok {
			copy(dst, a.Float32Values()[lo:hi])
			return true
		}
	case *array.Int64:
		if dst, ok := s.Interface().([]int64); ok {
			copy(dst, a.Int64Values()[lo:hi])
			return true
		}
	case *array.Int32:
		if dst, ok := s.Interface().([]int32); ok {
			copy(dst, a.Int32Values()[lo:hi])
			return true
		}
	}
	return false
}

// Values returns the learned data of model by column, as JSON shows it:
// floats as package jsonnum writes them, structs as objects keyed by
// column names, maps as objects keyed by their keys' text. A list longer
// than maxList (when maxList > 0) is replaced by {"length": n}.
func Values(model any, maxList int) map[string]any {
	v := reflect.ValueOf(model)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	out := map[string]any{}
	for _, f := range ml.DataFields(v.Type()) {
		out[ml.DataName(f)] = jsonValue(v.FieldByIndex(f.Index), maxList)
	}
	return out
}

func jsonValue(v reflect.Value, maxList int) any {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return jsonValue(v.Elem(), maxList)
	case reflect.Float32, reflect.Float64:
		return jsonnum.Float(v.Float())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		if maxList > 0 && v.Len() > maxList {
			return map[string]int{"length": v.Len()}
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes()
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonValue(v.Index(i), maxList)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = jsonValue(it.Value(), maxList)
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for _, f := range reflect.VisibleFields(v.Type()) {
			if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
				continue
			}
			out[ml.DataName(f)] = jsonValue(v.FieldByIndex(f.Index), maxList)
		}
		return out
	}
	if v.CanInterface() {
		return v.Interface()
	}
	return nil
}

// IsMatrix reports whether n flat values are a rows × cols matrix: both
// sides non-negative and rows·cols = n, without the overflow a plain
// product would let through for sides read from a damaged file.
func IsMatrix(n, rows, cols int) bool {
	if rows < 0 || cols < 0 {
		return false
	}
	if rows == 0 || cols == 0 {
		return n == 0
	}
	return n%cols == 0 && n/cols == rows
}
