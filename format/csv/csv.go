// Package csv reads and writes comma-separated values as RFC 4180 defines
// them, into and out of Spindle tables.
//
// A record is a line of fields separated by the delimiter:
//
//	name,age,city
//	Ada,36,London
//
// A field may be quoted; inside quotes the delimiter and newlines are plain
// text and a doubled quote stands for one quote, so a single record can
// span lines:
//
//	id,text
//	1,"Hello, world"
//	2,"She said ""hi""
//	and left"
//
// Reading is streaming and parallel: one goroutine cuts the input into
// chunks that end on record boundaries (it tracks quote state, so a quoted
// field that spans lines never straddles two chunks) and the other cores
// parse chunks into typed columns; each chunk becomes one partition.
//
// Column types are inferred (int64, then float64, then bool, else string)
// unless Options.Schema declares them. An unquoted field equal to one of
// Options.NullValues (by default only the empty field) is null; a quoted
// field is never null, so "" is the empty string, as in Spark.
//
// A malformed record — unterminated quote, text after a closing quote, the
// wrong number of fields, invalid UTF-8, or a value that does not parse as
// its declared type — stops the read with a *ParseError naming the file,
// line and column, or is dropped and counted when Options.OnMalformed is
// Drop.
package csv

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/spindle-ml/spindle/table"
)

// Policy says what to do with a malformed record.
type Policy string

// The malformed-record policies.
const (
	// Fail stops the read with a *ParseError (the default).
	Fail Policy = "fail"
	// Drop skips the record, counts it in the Report and writes its raw
	// text to Options.Rejects when set.
	Drop Policy = "drop"
)

// Options configure reading and writing. The zero value reads a
// comma-separated file with a header line, double-quote quoting and
// inferred types, and fails on the first malformed record.
type Options struct {
	// NoHeader says the first line is data; columns are then named _c0,
	// _c1, … as in Spark. (Spark's header option defaults to false; here
	// a header is the default because nearly every file has one.)
	NoHeader bool
	// Delimiter separates fields. If 0, it is ','.
	Delimiter byte
	// Quote encloses fields. If 0, it is '"'.
	Quote byte
	// Escape, inside a quoted field, makes the next byte literal. If 0, it
	// is Quote, which is RFC 4180's doubled quote ("" for "). Spark's
	// default is '\\'; set it to read files Spark wrote with defaults.
	Escape byte
	// NullValues are the unquoted field texts read as null. If nil, only
	// the empty field is null.
	NullValues []string
	// Schema declares the types of some columns by name (_cN without a
	// header); the other columns are inferred.
	Schema map[string]table.Type
	// NoInferSchema reads every undeclared column as string.
	NoInferSchema bool
	// OnMalformed is Fail (the default, when empty) or Drop.
	OnMalformed Policy
	// Rejects receives the raw text of dropped records, with Drop.
	Rejects io.Writer
	// ChunkSize is the target bytes per chunk (and so per partition). If
	// 0, it is 4 MiB.
	ChunkSize int
	// MaxRecordSize bounds one record; a longer one is an error (usually
	// an unterminated quote). If 0, it is 256 MiB.
	MaxRecordSize int
	// Parallelism is how many chunks are parsed at once. If 0, it is
	// runtime.GOMAXPROCS(0).
	Parallelism int
}

func (o Options) withDefaults() (Options, error) {
	if o.Delimiter == 0 {
		o.Delimiter = ','
	}
	if o.Quote == 0 {
		o.Quote = '"'
	}
	if o.Escape == 0 {
		o.Escape = o.Quote
	}
	if o.NullValues == nil {
		o.NullValues = []string{""}
	}
	if o.OnMalformed == "" {
		o.OnMalformed = Fail
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 4 << 20
	}
	if o.MaxRecordSize <= 0 {
		o.MaxRecordSize = 256 << 20
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.OnMalformed != Fail && o.OnMalformed != Drop:
		return o, fmt.Errorf("csv: malformed-row policy %q is not one of fail, drop", o.OnMalformed)
	case o.Delimiter == '\n' || o.Delimiter == '\r' || o.Quote == '\n' || o.Quote == '\r':
		return o, errors.New("csv: delimiter and quote cannot be line breaks")
	case o.Delimiter == o.Quote:
		return o, fmt.Errorf("csv: delimiter and quote are both %q", o.Delimiter)
	}
	return o, nil
}

// Errors a *ParseError wraps; test with errors.Is.
var (
	ErrUnterminatedQuote = errors.New("quoted field is not terminated before end of file")
	ErrAfterQuote        = errors.New("unexpected text after a closing quote (a quote inside a quoted field must be doubled)")
	ErrFieldCount        = errors.New("wrong number of fields")
	ErrInvalidUTF8       = errors.New("invalid UTF-8")
	ErrType              = errors.New("value does not parse as the column's type")
	ErrRecordTooLarge    = errors.New("record is larger than MaxRecordSize (is a quote unterminated?)")
	ErrEmpty             = errors.New("empty file")
	ErrNoRows            = errors.New("no data rows")
)

// ParseError is a malformed record. Line is the 1-based line on which the
// record (or, for ErrUnterminatedQuote, the quoted field) starts; Column is
// the 1-based field number, or 0 when the error concerns the whole record.
type ParseError struct {
	File   string
	Line   int64
	Column int
	Field  string // the column's name, when known
	Err    error
	Detail string // e.g. the offending value
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Column > 0 {
		s += fmt.Sprintf(": column %d", e.Column)
		if e.Field != "" {
			s += fmt.Sprintf(" (%q)", e.Field)
		}
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// Report summarizes a read.
type Report struct {
	// Files is the number of inputs read.
	Files int
	// Rows is the number of rows in the table.
	Rows int64
	// Dropped is the number of malformed records skipped under Drop.
	Dropped int64
	// DropReasons holds the first few dropped records' errors.
	DropReasons []*ParseError
	// Widened lists columns whose inferred type changed part-way and made
	// the reader start again (int64 and string mixed, for example).
	Widened []string
}

const maxDropReasons = 20
