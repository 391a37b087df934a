import type { CellWithView } from '../useCellViews.ts';

/** One row per file that could not be classified, with the specific reason. */
export function ErrorRows({ errors }: { errors: CellWithView[] }) {
  return (
    <section className="errors" aria-label={`Could not classify (${errors.length})`}>
      <h3>
        Could not classify <span className="count">{errors.length}</span>
      </h3>
      <table>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {errors.map(({ cell }) => (
            <tr key={cell.id} className="error-row" data-testid="error-row" data-reason={cell.error?.reason}>
              <td>{cell.name}</td>
              <td>{cell.error?.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
