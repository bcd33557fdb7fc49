// read-model.mjs MODEL_STAGE_DIR INSPECT_JSON STAGE_INDEX
//
// Reads a saved stage's data.parquet with Hyparquet — a Parquet reader
// written in JavaScript, independent of Spindle and of Apache Arrow's Go
// library that wrote the file — and checks that every learned column
// holds what `spindle inspect --json` shows for that stage (every value
// of every list, floats to the last bit). Part of scripts/beam-check.sh.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'

const [stageDir, inspectPath, index] = process.argv.slice(2)
const meta = JSON.parse(readFileSync(join(stageDir, 'metadata.json'), 'utf8'))
const inspect = JSON.parse(readFileSync(inspectPath, 'utf8'))
const want = inspect.stages[Number(index)].values
const rows = await parquetReadObjects({ file: await asyncBufferFromFile(join(stageDir, meta.data.file)) })
if (rows.length !== 1) throw new Error(`${stageDir}: ${rows.length} rows, want 1`)
const same = (a, b) => {
  if (typeof b === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(b)) return Number(b) === a || (b === 'NaN' && Number.isNaN(a))
  if (Array.isArray(b)) return Array.isArray(a) && a.length === b.length && a.every((x, i) => same(x, b[i]))
  if (typeof a === 'bigint') return a === BigInt(b)
  return Object.is(a, b) || a === b
}
let checked = 0
for (const col of meta.data.columns) {
  const got = rows[0][col.name]
  if (!(col.name in want)) throw new Error(`${stageDir}: inspect shows no ${col.name}`)
  if (!same(got, want[col.name])) throw new Error(`${stageDir}: column ${col.name}: Hyparquet reads ${JSON.stringify(got, (k, v) => typeof v === 'bigint' ? v.toString() : v).slice(0, 200)}, inspect shows ${JSON.stringify(want[col.name]).slice(0, 200)}`)
  checked += Array.isArray(got) ? got.length : 1
}
console.log(`${meta.class}: ${meta.data.columns.length} columns, ${checked} values read by Hyparquet equal spindle inspect --json`)
