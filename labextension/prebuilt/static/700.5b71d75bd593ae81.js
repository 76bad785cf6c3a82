"use strict";(self.rspackChunkbraid_kernel_lab=self.rspackChunkbraid_kernel_lab||[]).push([[700],{646(e,t,r){var a=r(601),n=r.n(a),o=r(314),i=(r.n(o))()(n());i.push([e.id,`/* braid-kernel-lab: cell marks under the prompt, the toolbar button and the graph panel. */

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

/* A cell sent to the kernel: waiting for its turn, or running (JupyterLab shows [*] for both). */
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
`,""]),r.d(t,{},{A:i})},314(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var r="",a=void 0!==t[5];return t[4]&&(r+="@supports (".concat(t[4],") {")),t[2]&&(r+="@media ".concat(t[2]," {")),a&&(r+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),r+=e(t),a&&(r+="}"),t[2]&&(r+="}"),t[4]&&(r+="}"),r}).join("")},t.i=function(e,r,a,n,o){"string"==typeof e&&(e=[[null,e,void 0]]);var i={};if(a)for(var c=0;c<this.length;c++){var p=this[c][0];null!=p&&(i[p]=!0)}for(var d=0;d<e.length;d++){var l=[].concat(e[d]);a&&i[l[0]]||(void 0!==o&&(void 0===l[5]||(l[1]="@layer".concat(l[5].length>0?" ".concat(l[5]):""," {").concat(l[1],"}")),l[5]=o),r&&(l[2]&&(l[1]="@media ".concat(l[2]," {").concat(l[1],"}")),l[2]=r),n&&(l[4]?(l[1]="@supports (".concat(l[4],") {").concat(l[1],"}"),l[4]=n):l[4]="".concat(n)),t.push(l))}},t}},601(e){e.exports=function(e){return e[1]}},72(e){var t=[];function r(e){for(var r=-1,a=0;a<t.length;a++)if(t[a].identifier===e){r=a;break}return r}function a(e,a){for(var n={},o=[],i=0;i<e.length;i++){var c=e[i],p=a.base?c[0]+a.base:c[0],d=n[p]||0,l="".concat(p," ").concat(d);n[p]=d+1;var s=r(l),u={css:c[1],media:c[2],sourceMap:c[3],supports:c[4],layer:c[5]};if(-1!==s)t[s].references++,t[s].updater(u);else{var f=function(e,t){var r=t.domAPI(t);return r.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&r.update(e=t):r.remove()}}(u,a);a.byIndex=i,t.splice(i,0,{identifier:l,updater:f,references:1})}o.push(l)}return o}e.exports=function(e,n){var o=a(e=e||[],n=n||{});return function(e){e=e||[];for(var i=0;i<o.length;i++){var c=r(o[i]);t[c].references--}for(var p=a(e,n),d=0;d<o.length;d++){var l=r(o[d]);0===t[l].references&&(t[l].updater(),t.splice(l,1))}o=p}}},659(e){var t={};e.exports=function(e,r){var a=function(e){if(void 0===t[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}t[e]=r}return t[e]}(e);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(r)}},540(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},56(e,t,r){e.exports=function(e){var t=r.nc;t&&e.setAttribute("nonce",t)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(r){var a,n,o;a="",r.supports&&(a+="@supports (".concat(r.supports,") {")),r.media&&(a+="@media ".concat(r.media," {")),(n=void 0!==r.layer)&&(a+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),a+=r.css,n&&(a+="}"),r.media&&(a+="}"),r.supports&&(a+="}"),(o=r.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(o))))," */")),e.styleTagTransform(a,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},959(e,t,r){var a=r(72),n=r.n(a),o=r(825),i=r.n(o),c=r(659),p=r.n(c),d=r(56),l=r.n(d),s=r(540),u=r.n(s),f=r(113),b=r.n(f),h=r(646),m={};m.styleTagTransform=b(),m.setAttributes=l(),m.insert=p().bind(null,"head"),m.domAPI=i(),m.insertStyleElement=u(),n()(h.A,m),h.A&&h.A.locals&&h.A.locals}}]);