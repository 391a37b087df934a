import { useEffect } from 'react';
import { initApp } from '../store/actions.ts';
import { AppNotices } from './AppNotices.tsx';
import { CellDetail } from './detail/CellDetail.tsx';
import { DifferentialTable } from './differential/DifferentialTable.tsx';
import { useDifferential } from './differential/useDifferential.ts';
import { DropZone } from './drop/DropZone.tsx';
import { Gallery } from './gallery/Gallery.tsx';
import { ModelManager } from './models/ModelManager.tsx';
import { ModelNotices } from './models/ModelNotices.tsx';
import { RetrainOffer } from './heads/RetrainOffer.tsx';
import { ModelStatus } from './models/ModelStatus.tsx';
import { SettingsPanel } from './models/SettingsPanel.tsx';
import { ProgressBar } from './progress/ProgressBar.tsx';
import { Report } from './report/Report.tsx';
import { CaseBar } from './review/CaseBar.tsx';
import { ClassLegend } from './review/ClassLegend.tsx';
import { useReviewClasses } from './review/reviewClasses.ts';
import { useReviewKeys } from './review/useReviewKeys.ts';
import { Toolbar } from './Toolbar.tsx';
import { useCellViews } from './useCellViews.ts';

export function App() {
  useEffect(() => {
    void initApp();
  }, []);
  const items = useCellViews();
  const diff = useDifferential(items);
  useReviewKeys(useReviewClasses());
  return (
    <>
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
          <ModelNotices />
          <RetrainOffer />
          <CaseBar />
          <DropZone />
          <ProgressBar />
          <Toolbar />
          <AppNotices />
          <div className="app__body">
            <Gallery items={items} />
            <aside>
              <ClassLegend />
              <DifferentialTable diff={diff} />
              <CellDetail items={items} />
            </aside>
          </div>
        </main>
        <footer className="app__footer">
          Everything runs in this browser: no image or result is uploaded. Research and education use only — not a diagnostic device. Cell
          images in the tests and the default model's training data: PBC dataset, Acevedo et al. 2020, CC BY 4.0.
        </footer>
      </div>
      <Report items={items} diff={diff} />
    </>
  );
}
