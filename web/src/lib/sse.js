// An incremental parser of the text/event-stream format (the WHATWG HTML standard, "Server-sent
// events", parsing an event stream), for reading a stream with fetch() where EventSource cannot
// be used (it cannot send an Authorization header).
//
// feed(text) takes decoded text in any chunking (a line, a field, even a CRLF pair may be split
// between chunks) and returns the messages completed by it: {id, event, data}. `id` is the last
// event id in force (it persists across messages, as the standard says); `event` is "message"
// when the stream named none. Comments (": ping") call onComment; "retry:" sets `retry`.

export class SseParser {
  constructor({ onComment } = {}) {
    this.buf = '';
    this.data = [];
    this.event = '';
    this.lastId = '';
    this.retry = NaN;
    this.onComment = onComment;
    this.sawCR = false; // the previous chunk ended with CR: a leading LF belongs to it
    this.started = false;
  }

  feed(chunk) {
    let text = chunk;
    if (!this.started) {
      this.started = text.length > 0;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a leading BOM is dropped
    }
    if (this.sawCR && text.startsWith('\n')) text = text.slice(1);
    this.sawCR = false;
    this.buf += text;
    const out = [];
    let start = 0;
    for (;;) {
      const cr = this.buf.indexOf('\r', start);
      const lf = this.buf.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      let end;
      let next;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 < this.buf.length) {
          next = this.buf[cr + 1] === '\n' ? cr + 2 : cr + 1;
        } else {
          next = cr + 1;
          this.sawCR = true;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      this.line(this.buf.slice(start, end), out);
      start = next;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  line(line, out) {
    if (line === '') {
      if (this.data.length > 0) {
        out.push({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line[0] === ':') {
      this.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
    }
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }
}
