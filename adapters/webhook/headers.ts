// Reading one request header the same way from a Fetch `Headers`, Node's `IncomingHttpHeaders` or a plain record
// (any case): a header sent twice is an error, never silently the first or the last value.
/** Header lookup over a Fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain record (any case). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

type HeaderRead = { value: string } | { error: string };

export function readHeader(headers: HeaderSource, name: string): HeaderRead {
  let raw: string | readonly string[] | null | undefined;
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    raw = (headers as Headers).get(name);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    const matches = Object.keys(record).filter((k) => k.toLowerCase() === name);
    if (matches.length > 1) return { error: `duplicated header ${name}` };
    raw = matches[0] === undefined ? undefined : record[matches[0]];
  }
  if (raw === null || raw === undefined) return { error: `missing header ${name}` };
  if (typeof raw !== 'string') {
    if (raw.length !== 1 || raw[0] === undefined) return { error: `duplicated header ${name}` };
    return { value: raw[0] };
  }
  return { value: raw };
}

