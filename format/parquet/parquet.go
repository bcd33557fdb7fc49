// Package parquet reads and writes Apache Parquet files with the Apache
// Arrow Go library (arrow-go's pqarrow), one row group per partition.
//
// Column types map to Parquet as Spark maps them: string → BYTE_ARRAY
// (UTF8), int64 → INT64, float64 → DOUBLE, bool → BOOLEAN, list<string> →
// LIST of UTF8, and vector → Spark ML's VectorUDT struct
//
//	struct<type: int8 (0 sparse, 1 dense), size: int32,
//	       indices: list<int32>, values: list<double>>
//
// Written files also carry Spark's row metadata
// (org.apache.spark.sql.parquet.row.metadata) naming the VectorUDT, so
// spark.read.parquet returns those columns as ML vectors; and Spark's
// vector columns read here as Spindle vectors.
//
// On read, narrower Parquet types widen: int8–int32 and unsigned integers
// → int64, float32 → float64, binary holding UTF-8 → string.
package parquet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// SparkRowMetadataKey is the Parquet key-value metadata entry holding
// Spark's schema JSON.
const SparkRowMetadataKey = "org.apache.spark.sql.parquet.row.metadata"

var vectorType = arrow.StructOf(
	arrow.Field{Name: "type", Type: arrow.PrimitiveTypes.Int8, Nullable: false},
	arrow.Field{Name: "size", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	arrow.Field{Name: "indices", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Int32, Nullable: false}), Nullable: true},
	arrow.Field{Name: "values", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Float64, Nullable: false}), Nullable: true},
)

func arrowType(t table.Type) arrow.DataType {
	switch t {
	case table.String:
		return arrow.BinaryTypes.String
	case table.Int64:
		return arrow.PrimitiveTypes.Int64
	case table.Float64:
		return arrow.PrimitiveTypes.Float64
	case table.Bool:
		return arrow.FixedWidthTypes.Boolean
	case table.StringList:
		return arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true})
	case table.Vector:
		return vectorType
	}
	return nil
}

// Write writes t as one Parquet file (snappy-compressed), a row group per
// non-empty partition.
func Write(w io.Writer, t *table.Table) error {
	fields := make([]arrow.Field, t.Schema().Len())
	for j, f := range t.Schema().Fields {
		fields[j] = arrow.Field{Name: f.Name, Type: arrowType(f.Type), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	props := pq.NewWriterProperties(pq.WithCompression(compress.Codecs.Snappy), pq.WithCreatedBy("spindle"))
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	meta, err := sparkSchemaJSON(t.Schema())
	if err != nil {
		return err
	}
	if err := fw.AppendKeyValueMetadata(SparkRowMetadataKey, meta); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	mem := memory.DefaultAllocator
	for _, b := range t.Partitions() {
		if b.NumRows() == 0 {
			continue
		}
		cols := make([]arrow.Array, b.Schema().Len())
		for j, c := range b.Columns() {
			cols[j] = toArrow(mem, c)
		}
		rec := array.NewRecordBatch(schema, cols, int64(b.NumRows()))
		err := fw.Write(rec)
		rec.Release()
		for _, c := range cols {
			c.Release()
		}
		if err != nil {
			return fmt.Errorf("parquet: write: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquet: close: %w", err)
	}
	return nil
}

func toArrow(mem memory.Allocator, c table.Column) arrow.Array {
	n := c.Len()
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = !c.IsNull(i)
	}
	switch c := c.(type) {
	case *table.StringColumn:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(c.Values, valid)
		return b.NewArray()
	case *table.Int64Column:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(c.Values, valid)
		return b.NewArray()
	case *table.Float64Column:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(c.Values, valid)
		return b.NewArray()
	case *table.BoolColumn:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.AppendValues(c.Values, valid)
		return b.NewArray()
	case *table.StringListColumn:
		b := array.NewListBuilderWithField(mem, arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true})
		defer b.Release()
		vb := b.ValueBuilder().(*array.StringBuilder)
		for i, l := range c.Values {
			if !valid[i] {
				b.AppendNull()
				continue
			}
			b.Append(true)
			vb.AppendValues(l, nil)
		}
		return b.NewArray()
	case *table.VectorColumn:
		b := array.NewStructBuilder(mem, vectorType)
		defer b.Release()
		tb := b.FieldBuilder(0).(*array.Int8Builder)
		sb := b.FieldBuilder(1).(*array.Int32Builder)
		ib := b.FieldBuilder(2).(*array.ListBuilder)
		iv := ib.ValueBuilder().(*array.Int32Builder)
		vb := b.FieldBuilder(3).(*array.ListBuilder)
		vv := vb.ValueBuilder().(*array.Float64Builder)
		for i, v := range c.Values {
			if !valid[i] {
				b.AppendNull()
				continue
			}
			b.Append(true)
			if v.IsSparse() {
				tb.Append(0)
				sb.Append(int32(v.Size))
				ib.Append(true)
				iv.AppendValues(v.Indices, nil)
			} else {
				// Spark leaves size and indices null for a dense vector.
				tb.Append(1)
				sb.AppendNull()
				ib.AppendNull()
			}
			vb.Append(true)
			vv.AppendValues(v.Values, nil)
		}
		return b.NewArray()
	}
	return nil
}

// sparkSchemaJSON renders Spark's StructType JSON for the schema, with
// vector columns as VectorUDT.
func sparkSchemaJSON(s *table.Schema) (string, error) {
	type field struct {
		Name     string         `json:"name"`
		Type     any            `json:"type"`
		Nullable bool           `json:"nullable"`
		Metadata map[string]any `json:"metadata"`
	}
	array := func(elem string, nulls bool) map[string]any {
		return map[string]any{"type": "array", "elementType": elem, "containsNull": nulls}
	}
	vectorSQL := map[string]any{"type": "struct", "fields": []field{
		{"type", "byte", false, map[string]any{}},
		{"size", "integer", true, map[string]any{}},
		{"indices", array("integer", false), true, map[string]any{}},
		{"values", array("double", false), true, map[string]any{}},
	}}
	fields := make([]field, s.Len())
	for j, f := range s.Fields {
		var t any
		switch f.Type {
		case table.String:
			t = "string"
		case table.Int64:
			t = "long"
		case table.Float64:
			t = "double"
		case table.Bool:
			t = "boolean"
		case table.StringList:
			t = array("string", true)
		case table.Vector:
			t = map[string]any{"type": "udt", "class": "org.apache.spark.ml.linalg.VectorUDT",
				"pyClass": "pyspark.ml.linalg.VectorUDT", "sqlType": vectorSQL}
		}
		fields[j] = field{f.Name, t, true, map[string]any{}}
	}
	js, err := json.Marshal(map[string]any{"type": "struct", "fields": fields})
	if err != nil {
		return "", fmt.Errorf("parquet: spark schema: %w", err)
	}
	return string(js), nil
}

// Read reads srcs, each a Parquet file with the same schema, into one
// table: a partition per row group.
func Read(ctx context.Context, srcs []storage.Source) (*table.Table, error) {
	var schema *table.Schema
	var parts []*table.Batch
	for _, src := range srcs {
		s, ps, err := readFile(ctx, src)
		if err != nil {
			return nil, err
		}
		if schema == nil {
			schema = s
		} else if !schema.Equal(s) {
			return nil, fmt.Errorf("%s: schema (%v) differs from %s's (%v)", src.Name(), s, srcs[0].Name(), schema)
		}
		parts = append(parts, ps...)
	}
	if schema == nil {
		return nil, errors.New("parquet: no input files")
	}
	return table.New(schema, parts...)
}

func readFile(ctx context.Context, src storage.Source) (*table.Schema, []*table.Batch, error) {
	name := src.Name()
	ra, ok := src.(storage.RandomAccess)
	if !ok {
		return nil, nil, fmt.Errorf("%s: parquet needs a random-access source", name)
	}
	r, err := ra.OpenReaderAt(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	pf, err := openFile(r, name)
	if err != nil {
		return nil, nil, err
	}
	defer pf.close()
	var parts []*table.Batch
	var row int64 // rows before this row group, for error messages
	for rg := 0; rg < pf.pf.NumRowGroups(); rg++ {
		ps, err := pf.readRowGroup(ctx, rg, row)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, ps...)
		row += pf.pf.MetaData().RowGroup(rg).NumRows()
	}
	return pf.schema, parts, nil
}

// parquetFile is an open Parquet file: its footer read, its schema known.
type parquetFile struct {
	name   string
	pf     *file.Reader
	fr     *pqarrow.FileReader
	schema *table.Schema
}

func (p *parquetFile) close() { p.pf.Close() }

// openFile reads a Parquet file's footer and schema.
func openFile(r pq.ReaderAtSeeker, name string) (*parquetFile, error) {
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	as, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: schema: %w", name, err)
	}
	fields := make([]table.Field, len(as.Fields()))
	for j, f := range as.Fields() {
		t, err := fromArrowType(f.Type)
		if err != nil {
			pf.Close()
			return nil, fmt.Errorf("%s: column %q: %w", name, f.Name, err)
		}
		fields[j] = table.Field{Name: f.Name, Type: t}
	}
	schema, err := table.NewSchema(fields...)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &parquetFile{name: name, pf: pf, fr: fr, schema: schema}, nil
}

// readRowGroup reads row group rg as batches of up to 64Ki rows, each a
// partition; row is how many rows the file holds before the group.
func (p *parquetFile) readRowGroup(ctx context.Context, rg int, row int64) ([]*table.Batch, error) {
	rr, err := p.fr.GetRecordReader(ctx, nil, []int{rg})
	if err != nil {
		return nil, fmt.Errorf("%s: row group %d: %w", p.name, rg, err)
	}
	defer rr.Release()
	var parts []*table.Batch
	for rr.Next() {
		b, err := fromRecord(p.schema, rr.RecordBatch())
		if err != nil {
			return nil, fmt.Errorf("%s: row group %d: %w", p.name, rg, err)
		}
		rows := make([]int64, b.NumRows())
		for i := range rows {
			row++
			rows[i] = row
		}
		parts = append(parts, b.WithOrigin(&table.Origin{File: p.name, Lines: rows, Unit: "row"}))
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: row group %d: %w", p.name, rg, err)
	}
	return parts, nil
}

func isVectorStruct(st *arrow.StructType) bool {
	if st.NumFields() != 4 {
		return false
	}
	for i, n := range []string{"type", "size", "indices", "values"} {
		if st.Field(i).Name != n {
			return false
		}
	}
	return true
}

func fromArrowType(t arrow.DataType) (table.Type, error) {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return table.String, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return table.Int64, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		return table.Float64, nil
	case arrow.BOOL:
		return table.Bool, nil
	case arrow.LIST, arrow.LARGE_LIST:
		et := t.(arrow.ListLikeType).Elem().ID()
		if et == arrow.STRING || et == arrow.LARGE_STRING {
			return table.StringList, nil
		}
	case arrow.STRUCT:
		if isVectorStruct(t.(*arrow.StructType)) {
			return table.Vector, nil
		}
	}
	return 0, fmt.Errorf("unsupported Parquet column type %v (Spindle reads string, integer, floating, boolean, list<string> and Spark ML vector columns)", t)
}

func fromRecord(schema *table.Schema, rec arrow.RecordBatch) (*table.Batch, error) {
	n := int(rec.NumRows())
	cols := make([]table.Column, schema.Len())
	for j, f := range schema.Fields {
		a := rec.Column(j)
		c, err := table.NewColumn(f.Type, n)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				c.(interface{ SetNull(int) }).SetNull(i)
			}
		}
		if err := fill(c, a, f.Name); err != nil {
			return nil, err
		}
		cols[j] = c
	}
	return table.NewBatch(schema, cols)
}

func fill(c table.Column, a arrow.Array, name string) error {
	n := a.Len()
	switch c := c.(type) {
	case *table.StringColumn:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				continue
			}
			var s string
			switch a := a.(type) {
			case *array.String:
				s = a.Value(i)
			case *array.LargeString:
				s = a.Value(i)
			case *array.Binary:
				s = string(a.Value(i))
			case *array.LargeBinary:
				s = string(a.Value(i))
			}
			if !utf8.ValidString(s) {
				return fmt.Errorf("column %q row %d: invalid UTF-8", name, i)
			}
			c.Values[i] = string([]byte(s)) // own the bytes: the record is released
		}
	case *table.Int64Column:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				continue
			}
			switch a := a.(type) {
			case *array.Int64:
				c.Values[i] = a.Value(i)
			case *array.Int32:
				c.Values[i] = int64(a.Value(i))
			case *array.Int16:
				c.Values[i] = int64(a.Value(i))
			case *array.Int8:
				c.Values[i] = int64(a.Value(i))
			case *array.Uint8:
				c.Values[i] = int64(a.Value(i))
			case *array.Uint16:
				c.Values[i] = int64(a.Value(i))
			case *array.Uint32:
				c.Values[i] = int64(a.Value(i))
			case *array.Uint64:
				v := a.Value(i)
				if v > 1<<63-1 {
					return fmt.Errorf("column %q row %d: %d overflows int64", name, i, v)
				}
				c.Values[i] = int64(v)
			}
		}
	case *table.Float64Column:
		switch a := a.(type) {
		case *array.Float64:
			copy(c.Values, a.Float64Values())
		case *array.Float32:
			for i, v := range a.Float32Values() {
				c.Values[i] = float64(v)
			}
		}
		if c.Valid != nil {
			for i := range c.Values {
				if !c.Valid.Valid(i) {
					c.Values[i] = 0
				}
			}
		}
	case *table.BoolColumn:
		b := a.(*array.Boolean)
		for i := 0; i < n; i++ {
			if !b.IsNull(i) {
				c.Values[i] = b.Value(i)
			}
		}
	case *table.StringListColumn:
		l := a.(array.ListLike)
		for i := 0; i < n; i++ {
			if l.IsNull(i) {
				continue
			}
			lo, hi := l.ValueOffsets(i)
			out := make([]string, 0, hi-lo)
			for k := lo; k < hi; k++ {
				switch v := l.ListValues().(type) {
				case *array.String:
					out = append(out, string([]byte(v.Value(int(k)))))
				case *array.LargeString:
					out = append(out, string([]byte(v.Value(int(k)))))
				}
			}
			c.Values[i] = out
		}
	case *table.VectorColumn:
		return fillVectors(c, a.(*array.Struct), name)
	}
	return nil
}

func fillVectors(c *table.VectorColumn, s *array.Struct, name string) error {
	typ, ok0 := s.Field(0).(*array.Int8)
	size, ok1 := s.Field(1).(*array.Int32)
	idx, ok2 := s.Field(2).(*array.List)
	vals, ok3 := s.Field(3).(*array.List)
	if !ok0 || !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("column %q: vector struct fields have unexpected types", name)
	}
	iv, ok4 := idx.ListValues().(*array.Int32)
	vv, ok5 := vals.ListValues().(*array.Float64)
	if !ok4 || !ok5 {
		return fmt.Errorf("column %q: vector indices/values have unexpected types", name)
	}
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			continue
		}
		var values []float64
		if !vals.IsNull(i) {
			lo, hi := vals.ValueOffsets(i)
			values = append([]float64{}, vv.Float64Values()[lo:hi]...)
		} else {
			values = []float64{}
		}
		var v linalg.Vector
		var err error
		switch typ.Value(i) {
		case 1:
			v = linalg.Dense(values)
		case 0:
			if size.IsNull(i) || idx.IsNull(i) {
				return fmt.Errorf("column %q row %d: sparse vector without size or indices", name, i)
			}
			lo, hi := idx.ValueOffsets(i)
			v, err = linalg.Sparse(int(size.Value(i)), append([]int32{}, iv.Int32Values()[lo:hi]...), values)
		default:
			err = fmt.Errorf("vector type %d is not 0 (sparse) or 1 (dense)", typ.Value(i))
		}
		if err != nil {
			return fmt.Errorf("column %q row %d: %w", name, i, err)
		}
		c.Values[i] = v
	}
	return nil
}
