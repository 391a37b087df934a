import { useEffect, useState } from 'react';
import { initApp } from '../store/init.ts';
import { useApp } from '../store/index.ts';
import { initReview } from '../store/reviewActions.ts';
import { AddReport } from './AddReport.tsx';
import { AppNotices } from './AppNotices.tsx';
import { CellDetail } from './detail/CellDetail.tsx';
import { useDifferential } from './differential/useDifferential.ts';
import { usePageDrop } from './drop/DropZone.tsx';
import { Gallery } from './gallery/Gallery.tsx';
import { GalleryToolbar } from './gallery/GalleryToolbar.tsx';
import { SidePanel } from './layout/SidePanel.tsx';
import { ModelManager } from './models/ModelManager.tsx';
import { ModelNotices } from './models/ModelNotices.tsx';
import { NewDefaultNotice } from './models/NewDefaultNotice.tsx';
import { RetrainOffer } from './heads/RetrainOffer.tsx';
import { ModelStatus } from './models/ModelStatus.tsx';
import { SettingsPanel } from './models/SettingsPanel.tsx';
import { ProgressBar } from './progress/ProgressBar.tsx';
import { Report } from './report/Report.tsx';
import { CaseBar } from './review/CaseBar.tsx';
import { FirstVisit } from './review/FirstVisit.tsx';
import { useReviewClasses } from './review/reviewClasses.ts';
import { focusGallery, useReviewKeys } from './review/useReviewKeys.ts';
import { CaseMap } from './map/CaseMap.tsx';
import { CaseShiftBanner } from './shift/CaseShiftBanner.tsx';
import { Toast } from './Toast.tsx';
import { useCellViews } from './useCellViews.ts';

/**
 * Layout: header; the case bar (slim and sticky once the case has cells); progress and notices;
 * case-wide banners; then the workspace — gallery (or the three first steps), the large cell view
 * beside it when open, and the side panel (legend, differential, audit) that stays in view.
 */
export function App() {
  useEffect(() => {
    void initApp();
    void initReview();
  }, []);
  const items = useCellViews();
  const diff = useDifferential(items);
  useReviewKeys(useReviewClasses());
  const over = usePageDrop();
  const hasCells = useApp((s) => s.order.length > 0);
  const detailOpen = useApp((s) => s.detailOpen);
  const [mapOpen, setMapOpen] = useState(false);
  return (
    <>
      <a
        className="skip-link"
        href="#gallery"
        onClick={(e) => {
          e.preventDefault();
          focusGallery();
        }}
      >
        Skip to the cells
      </a>
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
          <CaseBar wbcTotal={diff.wbcTotal} />
          <div className={`workspace${detailOpen ? ' workspace--detail' : ''}${hasCells ? '' : ' workspace--empty'}`}>
            <div className="workspace__main">
              {/* In the gallery's column, not above the workspace: above, they pushed the sticky legend and
                  differential down, and the differential's bottom off a 720 px window until one scrolled. */}
              <ModelNotices />
              <NewDefaultNotice />
              <RetrainOffer />
              <ProgressBar />
              <AppNotices />
              <AddReport />
              <CaseShiftBanner />
              {hasCells ? (
                <>
                  <GalleryToolbar />
                  <div className="casemap__toggle">
                    <button type="button" className="button--secondary" aria-expanded={mapOpen} onClick={() => setMapOpen(!mapOpen)}>
                      {mapOpen ? 'Hide the embedding map' : 'Show the embedding map'}
                    </button>
                  </div>
                  {mapOpen && <CaseMap items={items} />}
                  <Gallery items={items} />
                </>
              ) : (
                <FirstVisit over={over} />
              )}
            </div>
            <CellDetail items={items} />
            <SidePanel items={items} diff={diff} />
          </div>
        </main>
        <footer className="app__footer">
          Everything runs in this browser: no image or result is uploaded. Research and education use only — not a diagnostic device. Cell
          images in the tests and the default model's training data: PBC dataset, Acevedo et al. 2020, CC BY 4.0.
        </footer>
      </div>
      <Toast />
      <Report items={items} diff={diff} />
    </>
  );
}
