import { useState } from 'react';

/** Copies `text`, saying whether it worked (a failure asks for a manual copy of `what`). */
export function CopyButton({ text, what = 'text' }: { text: string; what?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <>
      <button
        type="button"
        onClick={() => {
          navigator.clipboard.writeText(text).then(
            () => {
              setCopied(true);
            },
            () => {
              setCopied(false);
            },
          );
        }}
      >
        Copy
      </button>
      <span role="status" className="muted">
        {copied === true
          ? 'Copied'
          : copied === false
            ? `Copy failed: select the ${what} and copy it`
            : ''}
      </span>
    </>
  );
}
