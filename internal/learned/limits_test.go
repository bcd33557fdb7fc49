package learned

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// big is a model whose data compresses as well as data can: long runs
// of zeros, false and empty strings. The bounds Read puts on a file
// must still let it through.
type big struct {
	Flags   []bool
	Weights []float64
	Counts  [][]int32
	Names   []string
	Bytes   []byte
}

func TestReadHighlyCompressible(t *testing.T) {
	m := big{
		Flags:   make([]bool, 4<<20),
		Weights: make([]float64, 2<<20),
		Counts:  make([][]int32, 1<<16),
		Names:   make([]string, 1<<20),
		Bytes:   make([]byte, 8<<20),
	}
	for i := range m.Counts {
		m.Counts[i] = make([]int32, 16)
	}
	data, err := Write(&m)
	if err != nil {
		t.Fatal(err)
	}
	var got big
	if err := Read(data, &got); err != nil {
		t.Fatalf("Read of a %d-byte file: %v", len(data), err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatal("read back differs")
	}
}

type small struct {
	Words []string
	Size  int64
}

// writeWith writes rec with the given writer properties: files Write
// would never make.
func writeWith(t *testing.T, s *arrow.Schema, cols []arrow.Array, props *parquet.WriterProperties) []byte {
	t.Helper()
	rec := array.NewRecordBatch(s, cols, 1)
	defer rec.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(s, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadRefuses(t *testing.T) {
	mem := memory.NewGoAllocator()
	want, err := Schema(reflect.TypeFor[small]())
	if err != nil {
		t.Fatal(err)
	}
	words := func() arrow.Array {
		b := array.NewBuilder(mem, want.Field(0).Type).(*array.ListBuilder)
		b.Append(true)
		vb := b.ValueBuilder().(*array.StringBuilder)
		for range 1000 {
			vb.Append("same")
		}
		return b.NewArray()
	}
	size := func() arrow.Array {
		b := array.NewInt64Builder(mem)
		b.Append(3)
		return b.NewArray()
	}
	plain := parquet.NewWriterProperties(parquet.WithDictionaryDefault(false), parquet.WithCompression(compress.Codecs.Snappy))
	good := writeWith(t, want, []arrow.Array{words(), size()}, plain)
	var ok small
	if err := Read(good, &ok); err != nil || len(ok.Words) != 1000 || ok.Size != 3 {
		t.Fatalf("a plain file: %v (%d words, size %d)", err, len(ok.Words), ok.Size)
	}

	twice := arrow.NewSchema([]arrow.Field{want.Field(0), want.Field(0)}, nil)
	deep := arrow.BinaryTypes.String
	var deepArr arrow.DataType = deep
	for range maxNesting + 1 {
		deepArr = arrow.ListOf(deepArr)
	}
	deepSchema := arrow.NewSchema([]arrow.Field{{Name: "words", Type: deepArr, Nullable: true}}, nil)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"dictionary", writeWith(t, want, []arrow.Array{words(), size()}, parquet.NewWriterProperties(parquet.WithDictionaryDefault(true))),
			"dictionary-encoded"},
		{"a column twice", writeWith(t, twice, []arrow.Array{words(), words()}, plain), "column words appears 2 times"},
		{"nested too deep", writeWith(t, deepSchema, []arrow.Array{array.MakeArrayOfNull(mem, deepArr, 1)}, plain), "levels deep"},
		{"no magic", good[4:], "no PAR1 magic"},
		{"footer longer than the file", append(append([]byte{}, good[:len(good)-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), "footer of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m small
			err := Read(c.data, &m)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
