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
