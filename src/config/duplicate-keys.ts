// JSON.parse keeps the last of two equal keys in an object, silently: `{"dry_run": true,
// "dry_run": false}` would run live. This scan (of text JSON.parse has already accepted) finds the
// first key repeated within one object, with its path and both lines, so the config is refused.

export interface DuplicateKey {
  /** Dotted path of the repeated key, e.g. "trading.dry_run". */
  path: string;
  firstLine: number;
  secondLine: number;
}

/** The first key that appears twice in one object of `text` (valid JSON), or null. Iterative: a
 * 50,000-deep array that JSON.parse accepts must not overflow the stack here. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === "\n") line++;
      else if (c !== " " && c !== "\t" && c !== "\r" && c !== "\uFEFF") break;
      i++;
    }
  };
  const str = (): string => {
    // text[i] is the opening quote; JSON.parse decodes escapes exactly as it compares keys.
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  // Open containers: an object's keys seen so far (with their lines), or null for an array.
  const stack: Array<{ path: string; keys: Map<string, number> | null; n: number }> = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    return top ? top.path : "";
  };
  for (;;) {
    ws();
    const top = stack[stack.length - 1];
    // Inside an object: expect a key (or the end), then a value.
    let path = childPath();
    if (top?.keys) {
      if (text[i] === "}") {
        i++;
        stack.pop();
        if (!afterValue()) return null;
        continue;
      }
      const keyLine = line;
      const key = str();
      path = top.path ? `${top.path}.${key}` : key;
      const first = top.keys.get(key);
      if (first !== undefined) return { path, firstLine: first, secondLine: keyLine };
      top.keys.set(key, keyLine);
      ws();
      i++; // ':'
      ws();
    } else if (top) {
      if (text[i] === "]") {
        i++;
        stack.pop();
        if (!afterValue()) return null;
        continue;
      }
      path = `${top.path}[${top.n++}]`;
    }
    const c = text[i];
    if (c === "{") {
      i++;
      stack.push({ path, keys: new Map(), n: 0 });
      continue;
    }
    if (c === "[") {
      i++;
      stack.push({ path, keys: null, n: 0 });
      continue;
    }
    if (c === '"') str();
    else while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    if (!afterValue()) return null;
  }

  /** After a value: skip a comma; false when the whole text is done. */
  function afterValue(): boolean {
    if (stack.length === 0) return false;
    ws();
    if (text[i] === ",") i++;
    return true;
  }
}
