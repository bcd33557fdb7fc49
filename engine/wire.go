package engine

import (
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"
)

// The wire encoding of kernels, partials and the other values engines
// send between processes is CBOR (RFC 8949, github.com/fxamacker/cbor),
// set up to lose nothing a Go value holds:
//
//   - every exported field is written, zero values included, so a pointer
//     to false or to 0 (a parameter the user set to its zero) stays one,
//     and −0 stays −0 (gob, the encoding before, dropped both);
//   - a nil list, map or pointer is null and an empty one is empty, so
//     the two stay apart (an empty stop-word list is not "the default
//     list"), and a list holding nil pointers encodes;
//   - floats keep their width and bits: NaN (payload included) and ±Inf
//     are not converted;
//   - maps are written in a fixed key order, so equal values encode to
//     equal bytes;
//   - decoding refuses an unknown field, a duplicate key, a value that
//     does not fit its field, and trailing bytes.
//
// As with gob, unexported fields are not sent: a kernel's caches are
// rebuilt where it runs. The conformance suite (internal/conformance)
// checks the round trip of every registered stage bit for bit.
var (
	wireEnc = mustEncMode()
	wireDec = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	m, err := cbor.EncOptions{
		Sort:          cbor.SortCoreDeterministic,
		ShortestFloat: cbor.ShortestFloatNone,
		NaNConvert:    cbor.NaNConvertNone,
		InfConvert:    cbor.InfConvertNone,
		NilContainers: cbor.NilContainerAsNull,
		IndefLength:   cbor.IndefLengthForbidden,
	}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("engine: wire encoding options: %v", err))
	}
	return m
}

func mustDecMode() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   256,
		MaxArrayElements:  math.MaxInt32,
		MaxMapPairs:       math.MaxInt32,
		IndefLength:       cbor.IndefLengthForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		// Strings are bytes in Go: a token that is not valid UTF-8 (read
		// from a file that is not) travels as it is.
		UTF8: cbor.UTF8DecodeInvalid,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("engine: wire decoding options: %v", err))
	}
	return m
}

// Marshal writes v in the engines' wire encoding (see above).
func Marshal(v any) ([]byte, error) { return wireEnc.Marshal(v) }

// Unmarshal reads data written by Marshal into v (a pointer), refusing
// unknown fields, values that do not fit, and trailing bytes.
func Unmarshal(data []byte, v any) error { return wireDec.Unmarshal(data, v) }
