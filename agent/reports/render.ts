import type { Report } from './model.js';
import { renderHtml } from './render-html.js';
import { renderJson, renderMarkdown } from './render-md.js';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function renderReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return renderJson(report);
  if (format === 'html') return renderHtml(report);
  return renderMarkdown(report);
}
