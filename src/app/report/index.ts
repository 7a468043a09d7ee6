export { renderHtml } from './html.js';
export { renderJson } from './json.js';
export { renderMarkdown } from './markdown.js';
export { writeReportFile } from './write.js';
export type { ReportInput } from './types.js';
