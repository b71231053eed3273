/**
 * Every schema uses zod/mini (tree-shakable: a fraction of the start-up cost of the classic
 * build, which matters for a CLI). Importing this module sets English messages once.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());
