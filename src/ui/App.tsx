import { useEffect } from 'react';
import { initApp } from '../store/actions.ts';
import { AppNotices } from './AppNotices.tsx';
import { CellDetail } from './detail/CellDetail.tsx';
import { DifferentialTable } from './differential/DifferentialTable.tsx';
import { DropZone } from './drop/DropZone.tsx';
import { Gallery } from './gallery/Gallery.tsx';
import { ModelManager } from './models/ModelManager.tsx';
import { ModelStatus } from './models/ModelStatus.tsx';
import { SettingsPanel } from './models/SettingsPanel.tsx';
import { ProgressBar } from './progress/ProgressBar.tsx';
import { Toolbar } from './Toolbar.tsx';
import { useCellViews } from './useCellViews.ts';

export function App() {
  useEffect(() => {
    void initApp();
  }, []);
  const items = useCellViews();
  return (
    <div className="app">
      <header className="app__header">
        <h1>DinoBloom Web</h1>
        <ModelStatus />
        <div className="app__menus">
          <ModelManager />
          <SettingsPanel />
        </div>
      </header>
      <main>
        <DropZone />
        <ProgressBar />
        <Toolbar />
        <AppNotices />
        <div className="app__body">
          <Gallery items={items} />
          <aside>
            <DifferentialTable items={items} />
            <CellDetail items={items} />
          </aside>
        </div>
      </main>
      <footer className="app__footer">
        Everything runs in this browser: no image or result is uploaded. Research and education use only — not a diagnostic device.
      </footer>
    </div>
  );
}
