import type { Provider } from '@nestjs/common';
import { AppConfig, ConfigError } from '../config/app-config.js';
import { resolvePhotoThresholds, type PhotoThresholds } from './photo-checks.js';

/** The photo-check thresholds in force: the defaults, overridden by PHOTO_THRESHOLDS (JSON). */
export const PHOTO_THRESHOLDS_IN_FORCE = Symbol('PHOTO_THRESHOLDS_IN_FORCE');

/** Resolved when the application is built: an unknown name or a non-number refuses the start with a clear message. */
export const photoThresholdsProvider: Provider = {
  provide: PHOTO_THRESHOLDS_IN_FORCE,
  inject: [AppConfig],
  useFactory: (config: AppConfig): PhotoThresholds => {
    try {
      return resolvePhotoThresholds(config.photoThresholds);
    } catch (e) {
      throw new ConfigError([(e as Error).message]);
    }
  },
};
