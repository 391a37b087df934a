/**
 * A drawn confusion matrix (rows = true class, columns = predicted class). Each cell is shaded by its
 * share of the row (so a small class reads as clearly as a big one) and shows the count; the diagonal
 * is the correct predictions. Sized for the Models panel at 1280 px.
 */
export function ConfusionMatrix({ classes, confusion, title }: { classes: string[]; confusion: number[][]; title: string }) {
  const C = classes.length;
  const cell = C > 10 ? 26 : 34;
  const label = Math.min(130, 12 + 7 * Math.max(...classes.map((c) => c.length)));
  const top = label;
  const left = label + 18;
  const width = left + C * cell + 8;
  const height = top + C * cell + 28;
  const rowSums = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const short = (s: string) => (s.length > 16 ? `${s.slice(0, 15)}…` : s);
  return (
    <figure className="cm">
      <svg width={width} height={height} role="img" aria-label={`${title}: rows are the true class, columns the predicted class`} viewBox={`0 0 ${width} ${height}`}>
        <title>{title}</title>
        {classes.map((c, j) => (
          <text key={`c${c}`} x={left + j * cell + cell / 2} y={top - 6} transform={`rotate(-55 ${left + j * cell + cell / 2} ${top - 6})`} className="cm__label">
            {short(c)}
          </text>
        ))}
        {classes.map((c, i) => (
          <text key={`r${c}`} x={left - 6} y={top + i * cell + cell / 2 + 4} textAnchor="end" className="cm__label">
            {short(c)}
          </text>
        ))}
        {confusion.map((row, i) =>
          row.map((n, j) => {
            const share = rowSums[i]! > 0 ? n / rowSums[i]! : 0;
            const diag = i === j;
            // correct predictions in the accent colour, confusions in red: darker = larger share of the row
            const fill = n === 0 ? '#fafafa' : diag ? `rgba(107, 45, 92, ${0.15 + 0.85 * share})` : `rgba(164, 22, 26, ${0.15 + 0.85 * share})`;
            return (
              <g key={`${i}-${j}`}>
                <rect x={left + j * cell} y={top + i * cell} width={cell - 1} height={cell - 1} fill={fill}>
                  <title>{`true ${classes[i]} → predicted ${classes[j]}: ${n} (${(100 * share).toFixed(0)} % of ${classes[i]})`}</title>
                </rect>
                {n > 0 && (
                  <text x={left + j * cell + cell / 2} y={top + i * cell + cell / 2 + 4} textAnchor="middle" className={`cm__n${share > 0.55 ? ' cm__n--light' : ''}`}>
                    {n}
                  </text>
                )}
              </g>
            );
          }),
        )}
        <text x={left + (C * cell) / 2} y={height - 6} textAnchor="middle" className="cm__axis">
          predicted class →
        </text>
        <text x={10} y={top + (C * cell) / 2} transform={`rotate(-90 10 ${top + (C * cell) / 2})`} textAnchor="middle" className="cm__axis">
          true class →
        </text>
      </svg>
      <figcaption className="muted small">{title}. Rows: the class the lab gave; columns: the head's prediction; the diagonal is correct.</figcaption>
    </figure>
  );
}
