// Entry of the embedding-map harness page (e2e/harness/map.html), built by e2e/harness/vite.config.ts.
import { createRoot } from 'react-dom/client';
import '../../src/ui/styles.css';
import { MapHarness } from '../../src/ui/map/dev/MapHarness.tsx';

createRoot(document.getElementById('root')!).render(<MapHarness />);
