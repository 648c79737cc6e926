import { defineSearchAttributeKey } from '@temporalio/common';

/** Typed search attributes that keep breaches findable; they must be registered on the namespace. */
export const BreachIdKey = defineSearchAttributeKey('BreachId', 'KEYWORD');
export const BreachPhaseKey = defineSearchAttributeKey('BreachPhase', 'KEYWORD');
export const AuthorityDeadlineKey = defineSearchAttributeKey('AuthorityDeadline', 'DATETIME');
export const HoldActiveKey = defineSearchAttributeKey('HoldActive', 'BOOL');
/** The earliest deadline of an open obligation; set only on breaches with regimes. */
export const NextDeadlineKey = defineSearchAttributeKey('NextDeadline', 'DATETIME');

/** Name and CLI type of each, for `temporal server start-dev --search-attribute` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_TYPES = {
  BreachId: 'Keyword',
  BreachPhase: 'Keyword',
  AuthorityDeadline: 'Datetime',
  HoldActive: 'Bool',
  NextDeadline: 'Datetime',
} as const;
