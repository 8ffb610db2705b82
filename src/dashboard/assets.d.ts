// Files the dashboard embeds as text (Bun's text loader): their default export is the file's text.
declare module "*/assets/app.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
