/**
 * Every schema uses zod/mini (tree-shakable: a fraction of the start-up cost of the classic
 * build, which matters for a CLI). Importing this module sets English messages once, with a
 * number's bounds said as a person would ("a number at most 512", not "Too big: expected number
 * to be <=512").
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config({
  ...en(),
  customError: (issue) => {
    if (issue.origin !== 'number') return undefined;
    if (issue.code === 'too_small')
      return `a number ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    if (issue.code === 'too_big')
      return `a number ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    return undefined;
  },
});
