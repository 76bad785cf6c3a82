"use strict";(self.rspackChunkbraid_kernel_lab=self.rspackChunkbraid_kernel_lab||[]).push([[700],{"./node_modules/css-loader/dist/cjs.js!./style/index.css"(e,t,r){var a=r("./node_modules/css-loader/dist/runtime/noSourceMaps.js"),o=r.n(a),n=r("./node_modules/css-loader/dist/runtime/api.js"),s=(r.n(n))()(o());s.push([e.id,`/* braid-kernel-lab: cell marks under the prompt, the toolbar button and the graph panel. */

.jp-Cell[data-braid-state] .jp-InputPrompt::after,
.jp-Cell[data-braid-run] .jp-InputPrompt::after {
  display: block;
  margin-top: 2px;
  padding: 0 3px;
  border-radius: 3px;
  font-size: 10px;
  line-height: 14px;
  text-align: center;
  font-family: var(--jp-ui-font-family);
  white-space: nowrap;
}

.jp-Cell[data-braid-state='stale'] .jp-InputPrompt::after {
  content: 'stale';
  color: #8a4b00;
  background: #ffe7c2;
}

.jp-Cell[data-braid-state='stale'] .jp-InputArea-editor {
  border-left: 3px solid #f0a030;
}

.jp-Cell[data-braid-state='reran'] .jp-InputPrompt::after {
  content: 're-ran';
  color: #124f8a;
  background: #dcebfb;
}

.jp-Cell[data-braid-state='cached'] .jp-InputPrompt::after {
  content: 'cached';
  color: #22623a;
  background: #d9f2e1;
}

.jp-Cell[data-braid-state='waiting'] .jp-InputPrompt::after {
  content: 'missing input';
  color: #5c5c5c;
  background: #ececec;
}

.jp-Cell[data-braid-state='error'] .jp-InputPrompt::after {
  content: 'failed';
  color: #8a1212;
  background: #fbdcdc;
}

.jp-Cell[data-braid-state='skipped'] .jp-InputPrompt::after {
  content: 'skipped';
  color: #5c5c5c;
  background: #ececec;
}

/* A cell waiting for its turn (or, in a change, for the cells it reads from), or running:
   JupyterLab shows [*] for both. */
.jp-Cell[data-braid-run='waiting'] .jp-InputPrompt::after {
  content: 'waiting';
  color: #5c4a00;
  background: #fff3b8;
}

.jp-Cell[data-braid-run='running'] .jp-InputPrompt::after {
  content: 'running';
  color: #fff;
  background: #2e7d32;
}

.braid-GraphPanel {
  display: flex;
  flex-direction: column;
  min-width: 220px;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-family: var(--jp-ui-font-family);
  font-size: var(--jp-ui-font-size1);
}

.braid-GraphPanel-header {
  padding: 6px 8px;
  border-bottom: 1px solid var(--jp-border-color2);
  font-weight: 600;
}

.braid-GraphPanel-body {
  flex: 1 1 auto;
  overflow: auto;
  padding: 4px;
}

.braid-Graph {
  font-family: var(--jp-code-font-family);
  font-size: 11px;
}

.braid-Graph-node {
  cursor: pointer;
}

.braid-Graph-node rect {
  fill: #eef4ff;
  stroke: #357;
  stroke-width: 1;
}

.braid-Graph-node:hover rect {
  stroke-width: 2;
}

.braid-Graph-node text {
  fill: #1b1b1b;
  text-anchor: middle;
}

.braid-Graph-node-stale rect {
  fill: #ffe7c2;
  stroke: #d08010;
  stroke-dasharray: 4 2;
}

.braid-Graph-node-error rect,
.braid-Graph-node-skipped rect,
.braid-Graph-node-waiting rect {
  fill: #fbdcdc;
  stroke: #c00;
}

.braid-Graph-node[data-run='running'] rect {
  stroke: #2e7d32;
  stroke-width: 3;
}

.braid-Graph-node[data-run='waiting'] rect {
  stroke: #b08800;
  stroke-width: 2;
  stroke-dasharray: 2 2;
}

.braid-Graph-edge path {
  fill: none;
  stroke: #666;
  stroke-width: 1.2;
}

.braid-Graph-arrowhead {
  fill: #666;
}

.braid-Graph-edgeLabel {
  fill: var(--jp-ui-font-color2);
  font-size: 10px;
}
`,""]),r.d(t,{},{A:s})},"./node_modules/css-loader/dist/runtime/api.js"(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var r="",a=void 0!==t[5];return t[4]&&(r+="@supports (".concat(t[4],") {")),t[2]&&(r+="@media ".concat(t[2]," {")),a&&(r+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),r+=e(t),a&&(r+="}"),t[2]&&(r+="}"),t[4]&&(r+="}"),r}).join("")},t.i=function(e,r,a,o,n){"string"==typeof e&&(e=[[null,e,void 0]]);var s={};if(a)for(var i=0;i<this.length;i++){var d=this[i][0];null!=d&&(s[d]=!0)}for(var l=0;l<e.length;l++){var c=[].concat(e[l]);a&&s[c[0]]||(void 0!==n&&(void 0===c[5]||(c[1]="@layer".concat(c[5].length>0?" ".concat(c[5]):""," {").concat(c[1],"}")),c[5]=n),r&&(c[2]&&(c[1]="@media ".concat(c[2]," {").concat(c[1],"}")),c[2]=r),o&&(c[4]?(c[1]="@supports (".concat(c[4],") {").concat(c[1],"}"),c[4]=o):c[4]="".concat(o)),t.push(c))}},t}},"./node_modules/css-loader/dist/runtime/noSourceMaps.js"(e){e.exports=function(e){return e[1]}},"./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"(e){var t=[];function r(e){for(var r=-1,a=0;a<t.length;a++)if(t[a].identifier===e){r=a;break}return r}function a(e,a){for(var o={},n=[],s=0;s<e.length;s++){var i=e[s],d=a.base?i[0]+a.base:i[0],l=o[d]||0,c="".concat(d," ").concat(l);o[d]=l+1;var p=r(c),u={css:i[1],media:i[2],sourceMap:i[3],supports:i[4],layer:i[5]};if(-1!==p)t[p].references++,t[p].updater(u);else{var f=function(e,t){var r=t.domAPI(t);return r.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&r.update(e=t):r.remove()}}(u,a);a.byIndex=s,t.splice(s,0,{identifier:c,updater:f,references:1})}n.push(c)}return n}e.exports=function(e,o){var n=a(e=e||[],o=o||{});return function(e){e=e||[];for(var s=0;s<n.length;s++){var i=r(n[s]);t[i].references--}for(var d=a(e,o),l=0;l<n.length;l++){var c=r(n[l]);0===t[c].references&&(t[c].updater(),t.splice(c,1))}n=d}}},"./node_modules/style-loader/dist/runtime/insertBySelector.js"(e){var t={};e.exports=function(e,r){var a=function(e){if(void 0===t[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}t[e]=r}return t[e]}(e);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(r)}},"./node_modules/style-loader/dist/runtime/insertStyleElement.js"(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},"./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"(e,t,r){e.exports=function(e){var t=r.nc;t&&e.setAttribute("nonce",t)}},"./node_modules/style-loader/dist/runtime/styleDomAPI.js"(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(r){var a,o,n;a="",r.supports&&(a+="@supports (".concat(r.supports,") {")),r.media&&(a+="@media ".concat(r.media," {")),(o=void 0!==r.layer)&&(a+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),a+=r.css,o&&(a+="}"),r.media&&(a+="}"),r.supports&&(a+="}"),(n=r.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(a,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},"./node_modules/style-loader/dist/runtime/styleTagTransform.js"(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},"./style/index.js"(e,t,r){var a=r("./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"),o=r.n(a),n=r("./node_modules/style-loader/dist/runtime/styleDomAPI.js"),s=r.n(n),i=r("./node_modules/style-loader/dist/runtime/insertBySelector.js"),d=r.n(i),l=r("./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"),c=r.n(l),p=r("./node_modules/style-loader/dist/runtime/insertStyleElement.js"),u=r.n(p),f=r("./node_modules/style-loader/dist/runtime/styleTagTransform.js"),m=r.n(f),b=r("./node_modules/css-loader/dist/cjs.js!./style/index.css"),h={};h.styleTagTransform=m(),h.setAttributes=c(),h.insert=d().bind(null,"head"),h.domAPI=s(),h.insertStyleElement=u(),o()(b.A,h),b.A&&b.A.locals&&b.A.locals}}]);