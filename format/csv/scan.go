package csv

import "bytes"

// lastBoundary returns the index just past the last record-ending '\n' in
// b, which starts at a record boundary, or 0 when b holds no complete
// record. It tracks quote state: newlines inside quoted fields do not end
// records. This sequential pass is what makes parallel parsing safe; it
// uses bytes.IndexByte (vectorized) to jump between quotes, so unquoted
// data costs little more than a memchr.
func lastBoundary(b []byte, quote, esc byte) int {
	last := 0
	i := 0
	for i < len(b) {
		q := bytes.IndexByte(b[i:], quote)
		if q < 0 {
			if nl := bytes.LastIndexByte(b[i:], '\n'); nl >= 0 {
				last = i + nl + 1
			}
			return last
		}
		if nl := bytes.LastIndexByte(b[i:i+q], '\n'); nl >= 0 {
			last = i + nl + 1
		}
		// Skip the quoted section.
		j := i + q + 1
		for {
			if esc != quote {
				k := j
				for k < len(b) && b[k] != quote {
					if b[k] == esc {
						k++
					}
					k++
				}
				j = k
			} else {
				k := bytes.IndexByte(b[j:], quote)
				if k < 0 {
					j = len(b)
				} else {
					j += k
				}
			}
			if j >= len(b) {
				return last // the quote is still open at the end of b
			}
			// b[j] is a quote: closing, or the first of a doubled pair.
			if esc == quote && j+1 < len(b) && b[j+1] == quote {
				j += 2
				continue
			}
			break
		}
		i = j + 1
	}
	return last
}

// The record states of a byte position, for cutting a file into chunks
// without parsing it. A quote opens a quoted section anywhere outside one
// (lastBoundary's rule); inside, a quote closes it (a doubled quote
// closes and reopens it, which leaves the same boundaries), and an escape
// other than the quote makes the next byte literal.
const (
	atRecord  uint8 = iota // outside quotes, at the start of a record
	midRecord              // outside quotes, inside a record
	inQuote                // inside a quoted section
	inEscape               // inside a quoted section, after an escape
	numStates
)

// rangeScan is what a run of bytes does to the record state, starting
// from one state: the state after it, and where records start in it.
type rangeScan struct {
	End uint8
	// First and Last are the offsets of the first and the last record
	// start in the run (0 counts only when the run starts atRecord), or
	// −1 when no record starts in it.
	First, Last int
	// NLFirst and NLLast count the '\n' bytes before First and Last.
	NLFirst, NLLast int64
}

// scanFrom runs the record state machine over b from state s. Like
// lastBoundary it jumps between quotes with bytes.IndexByte, so unquoted
// data costs little more than a memchr.
func scanFrom(b []byte, s uint8, quote, esc byte) rangeScan {
	r := rangeScan{First: -1, Last: -1}
	if s == atRecord {
		r.First, r.Last = 0, 0
	}
	start := func(p int) {
		if p >= len(b) {
			return // the next run's first byte
		}
		if r.First < 0 {
			r.First = p
		}
		r.Last = p
	}
	i := 0
	for i < len(b) {
		switch s {
		case atRecord, midRecord:
			q := bytes.IndexByte(b[i:], quote)
			end := len(b)
			if q >= 0 {
				end = i + q
			}
			seg := b[i:end]
			if nl := bytes.IndexByte(seg, '\n'); nl >= 0 {
				start(i + nl + 1)
				last := bytes.LastIndexByte(seg, '\n')
				start(i + last + 1)
				if last == len(seg)-1 {
					s = atRecord
				} else {
					s = midRecord
				}
			} else if len(seg) > 0 {
				s = midRecord
			}
			if q < 0 {
				i = len(b)
				continue
			}
			s, i = inQuote, end+1
		case inQuote:
			k := i
			if esc == quote {
				if j := bytes.IndexByte(b[i:], quote); j >= 0 {
					k = i + j
				} else {
					k = len(b)
				}
			} else {
				for k < len(b) && b[k] != quote && b[k] != esc {
					k++
				}
			}
			switch {
			case k >= len(b):
				i = len(b)
			case b[k] == quote:
				s, i = midRecord, k+1
			default: // an escape
				s, i = inEscape, k+1
			}
		case inEscape:
			s, i = inQuote, i+1
		}
	}
	r.End = s
	if r.First > 0 {
		r.NLFirst = int64(bytes.Count(b[:r.First], []byte{'\n'}))
	}
	if r.Last > 0 {
		r.NLLast = int64(bytes.Count(b[:r.Last], []byte{'\n'}))
	}
	return r
}

// cellStart returns the offset in b of the first record that starts at or
// after from (≥ 1), where b starts a record, or −1 when none starts in b;
// last is the offset of the last record start in b.
func cellStart(b []byte, from int, quote, esc byte) (start, last int) {
	head := scanFrom(b[:from], atRecord, quote, esc)
	tail := scanFrom(b[from:], head.End, quote, esc)
	last = head.Last
	if tail.Last >= 0 {
		last = from + tail.Last
	}
	if tail.First < 0 {
		return -1, last
	}
	return from + tail.First, last
}
