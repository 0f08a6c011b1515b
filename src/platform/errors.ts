import * as vscode from 'vscode';
import { isRabbitError, type RabbitErrorCode } from '../core/errors';

/**
 * Where an error is shown to the user (the command wrapper's pop-up, a panel's status line, an explorer error node),
 * it gets a headline in the UI language, chosen by its `RabbitError.code`; the detail stays the English message of
 * src/core (it names fields and quotes the broker, and is what the log shows).
 */
export function errorHeadline(err: unknown): string {
  if (!isRabbitError(err)) return vscode.l10n.t('Unexpected error');
  // A Record (not a switch) so that a new code without a headline fails the type check.
  const headlines: Record<RabbitErrorCode, () => string> = {
    INVALID_INPUT: () => vscode.l10n.t('Invalid input'),
    UNREACHABLE: () => vscode.l10n.t('Cannot reach the broker'),
    TIMEOUT: () => vscode.l10n.t('No answer in time'),
    BLOCKED: () => vscode.l10n.t('The broker blocks publishers'),
    AUTH_FAILED: () => vscode.l10n.t('Authentication failed'),
    ACCESS_REFUSED: () => vscode.l10n.t('Access refused'),
    NOT_FOUND: () => vscode.l10n.t('Not found'),
    RESOURCE_LOCKED: () => vscode.l10n.t('Resource locked'),
    PRECONDITION_FAILED: () => vscode.l10n.t('Precondition failed'),
    UNROUTABLE: () => vscode.l10n.t('Message not routed'),
    NACKED: () => vscode.l10n.t('The broker did not accept the message'),
    CONNECTION_CLOSED: () => vscode.l10n.t('Connection closed'),
    CHANNEL_CLOSED: () => vscode.l10n.t('Channel closed'),
    FRAME_ERROR: () => vscode.l10n.t('Protocol error'),
    MANAGEMENT_UNAVAILABLE: () => vscode.l10n.t('Management API unavailable'),
    HTTP_ERROR: () => vscode.l10n.t('Management API error'),
    BAD_RESPONSE: () => vscode.l10n.t('Unexpected answer'),
    READ_ONLY: () => vscode.l10n.t('Read-only connection'),
    DEPRECATED_FEATURE: () => vscode.l10n.t('Refused: a deprecated broker feature'),
    UNSAFE: () => vscode.l10n.t('Refused: it would change the broker'),
    TARGET_CHANGED: () => vscode.l10n.t('The connection now points elsewhere'),
    CANCELLED: () => vscode.l10n.t('Cancelled'),
  };
  return headlines[err.code]();
}

/** The English detail of an error (its message). */
export function errorDetail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** "Headline: detail", as shown in pop-ups and status lines. */
export function describeError(err: unknown): string {
  return vscode.l10n.t('{0}: {1}', errorHeadline(err), errorDetail(err));
}
