package parquet

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
)

func TestRoundTrip(t *testing.T) {
	tb := tabletest.AllTypes(t)
	var buf bytes.Buffer
	if err := Write(&buf, tb); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), []storage.Source{storage.BytesSource("t.parquet", buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Schema().Equal(tb.Schema()) {
		t.Fatalf("schema = %v, want %v", got.Schema(), tb.Schema())
	}
	if !tabletest.RowsEqual(got.Rows(), tb.Rows()) {
		t.Fatalf("rows differ:\n got %v\nwant %v", got.Rows(), tb.Rows())
	}
}

// TestSparkLayout checks the physical layout Spark's VectorUDT expects and
// the Spark row metadata that tells Spark the column is a vector.
func TestSparkLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, tabletest.AllTypes(t)); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	var paths []string
	sc := pf.MetaData().Schema
	for i := 0; i < sc.NumColumns(); i++ {
		c := sc.Column(i)
		if strings.HasPrefix(c.Path(), "v.") {
			paths = append(paths, c.Path()+":"+c.PhysicalType().String())
		}
	}
	want := []string{"v.type:INT32", "v.size:INT32", "v.indices.list.element:INT32", "v.values.list.element:DOUBLE"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("vector leaves = %v, want %v", paths, want)
	}
	meta := pf.MetaData().KeyValueMetadata().FindValue(SparkRowMetadataKey)
	if meta == nil {
		t.Fatal("no Spark row metadata")
	}
	var st struct {
		Fields []struct {
			Name string
			Type json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(*meta), &st); err != nil {
		t.Fatal(err)
	}
	if st.Fields[5].Name != "v" || !strings.Contains(string(st.Fields[5].Type), `"class":"org.apache.spark.ml.linalg.VectorUDT"`) {
		t.Errorf("vector field metadata = %s", st.Fields[5].Type)
	}
	if string(st.Fields[1].Type) != `"long"` {
		t.Errorf("int64 field type = %s, want long", st.Fields[1].Type)
	}
}

func TestNotParquet(t *testing.T) {
	_, err := Read(context.Background(), []storage.Source{storage.BytesSource("bad.parquet", []byte("a,b\n1,2\n"))})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.parquet: not a readable Parquet file") {
		t.Fatalf("error = %v", err)
	}
}

// TestReadSparkStyleFile reads a file laid out as Spark writes one: no
// Arrow schema in the metadata, IntegerType as int32, a VectorUDT column as
// the struct<type: int8 required, size, indices, values> with size and
// indices null for dense vectors.
func TestReadSparkStyleFile(t *testing.T) {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "label", Type: arrow.PrimitiveTypes.Float64, Nullable: false},
		{Name: "count", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "features", Type: vectorType, Nullable: true},
	}, nil)
	lb := array.NewFloat64Builder(mem)
	lb.AppendValues([]float64{1, 0, 1}, nil)
	cb := array.NewInt32Builder(mem)
	cb.AppendValues([]int32{7, 0, -3}, []bool{true, false, true})
	sb := array.NewStructBuilder(mem, vectorType)
	typ := sb.FieldBuilder(0).(*array.Int8Builder)
	size := sb.FieldBuilder(1).(*array.Int32Builder)
	idx := sb.FieldBuilder(2).(*array.ListBuilder)
	vals := sb.FieldBuilder(3).(*array.ListBuilder)
	// Row 0: dense [0.5, 1.5]; row 1: sparse (4,[1,3],[2,4]); row 2: null.
	sb.Append(true)
	typ.Append(1)
	size.AppendNull()
	idx.AppendNull()
	vals.Append(true)
	vals.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{0.5, 1.5}, nil)
	sb.Append(true)
	typ.Append(0)
	size.Append(4)
	idx.Append(true)
	idx.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 3}, nil)
	vals.Append(true)
	vals.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{2, 4}, nil)
	sb.AppendNull()
	rec := array.NewRecordBatch(schema, []arrow.Array{lb.NewArray(), cb.NewArray(), sb.NewArray()}, 3)
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, pq.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), []storage.Source{storage.BytesSource("spark.parquet", buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema().String() != "label:float64, count:int64, features:vector" {
		t.Fatalf("schema = %v", got.Schema())
	}
	want := [][]any{
		{1.0, int64(7), linalg.Dense([]float64{0.5, 1.5})},
		{0.0, nil, tabletest.MustSparse(4, []int32{1, 3}, []float64{2, 4})},
		{1.0, int64(-3), nil},
	}
	if !tabletest.RowsEqual(got.Rows(), want) {
		t.Fatalf("rows = %v", got.Rows())
	}
}
