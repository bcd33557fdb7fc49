package csv_test

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/storage"
)

func ExampleRead() {
	data := "id,text,score\n1,\"Hello, world\",0.5\n2,\"two\nlines\",\n"
	t, rep, err := csv.Read(context.Background(), []storage.Source{storage.BytesSource("in.csv", []byte(data))}, csv.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Schema(), "rows:", rep.Rows)
	for _, row := range t.Rows() {
		fmt.Printf("%v %q %v\n", row[0], row[1], row[2])
	}
	// Output:
	// id:int64, text:string, score:float64 rows: 2
	// 1 "Hello, world" 0.5
	// 2 "two\nlines" <nil>
}

func ExampleParseError() {
	data := "a,b\n1,2\n3,4,5\n"
	_, _, err := csv.Read(context.Background(), []storage.Source{storage.BytesSource("in.csv", []byte(data))}, csv.Options{})
	fmt.Println(err)
	// Output:
	// in.csv:3: wrong number of fields: 3 fields, the header has 2
}
