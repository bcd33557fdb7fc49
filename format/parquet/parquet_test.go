package parquet

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/spindle-ml/spindle/internal/tabletest"
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
