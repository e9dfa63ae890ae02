#include "study/sweep_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/atomic_file.hpp"
#include "study/expression.hpp"

namespace dcsim::study {

std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points, bool maximize_first,
                                      bool maximize_second) {
  // Sort by the first objective, best first (ties: best second first); a point is on the
  // front when its second objective beats every point before it.
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto a = [&](std::size_t i) { return maximize_first ? -points[i].first : points[i].first; };
  auto b = [&](std::size_t i) { return maximize_second ? -points[i].second : points[i].second; };
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return a(x) != a(y) ? a(x) < a(y) : b(x) != b(y) ? b(x) < b(y) : x < y;
  });
  std::vector<std::size_t> front;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i : order)
    if (b(i) < best) {
      best = b(i);
      front.push_back(i);
    }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<bool>& maximize) {
  // q beats p when it is at least as good on every objective and better on one; of equal
  // points the first is kept. Quadratic: a sweep's points number in the thousands.
  auto better_or_equal = [&](std::size_t q, std::size_t p, bool& strictly) {
    strictly = false;
    for (std::size_t k = 0; k < maximize.size(); ++k) {
      const double a = maximize[k] ? points[q][k] : -points[q][k], b = maximize[k] ? points[p][k] : -points[p][k];
      if (a < b) return false;
      strictly = strictly || a > b;
    }
    return true;
  };
  std::vector<std::size_t> front;
  for (std::size_t p = 0; p < points.size(); ++p) {
    bool beaten = false;
    for (std::size_t q = 0; q < points.size() && !beaten; ++q) {
      bool strictly = false;
      beaten = q != p && better_or_equal(q, p, strictly) && (strictly || q < p);
    }
    if (!beaten) front.push_back(p);
  }
  return front;
}

namespace {

constexpr const char* kPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>@TITLE@</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-size:12px} th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f4f4f4;cursor:pointer;position:sticky;top:0} td.t{text-align:left}
tr.front td{background:#fff6d6} .wrap{max-height:480px;overflow:auto;border:1px solid #ddd}
select{margin:0 12px 0 4px;max-width:320px} svg{background:#fff;border:1px solid #ddd}
.err{color:#b00}
</style></head><body>
<h1>@TITLE@</h1>
<p id="count"></p>
<h2>Chart</h2>
<div>x <select id="x"></select> y <select id="y"></select> group by <select id="g"></select></div>
<svg class="chart" id="chart" width="860" height="420"></svg>
<h2>Pareto front</h2>
<div><select id="pa"></select><select id="pad"><option value="1">maximize</option><option value="0">minimize</option></select>
<select id="pb"></select><select id="pbd"><option value="1">maximize</option><option value="0">minimize</option></select>
and <select id="pc"></select><select id="pcd"><option value="1">maximize</option><option value="0">minimize</option></select></div>
<svg class="chart" id="pareto" width="860" height="420"></svg>
<p>The front is taken over all chosen results (a third one makes it the points no other
beats on all three, drawn against the first two); its points are highlighted in the table.</p>
<h2>Points</h2>
<div class="wrap"><table id="t"></table></div>
<script>
const D=@DATA@;
const cols=D.columns, rows=D.rows, axes=D.axes;
const num=v=>v===""||v===null||isNaN(+v)?null:+v;
const numeric=cols.filter((c,i)=>rows.some(r=>num(r[i])!==null));
const ci=c=>cols.indexOf(c);
function fill(id,list,def){const s=document.getElementById(id);s.innerHTML="";
 for(const c of list){const o=document.createElement("option");o.value=o.textContent=c;s.appendChild(o);} if(def!==undefined)s.value=def;}
const results=numeric.filter(c=>!c.startsWith("set.")&&c!=="id");
fill("x",numeric,D.defaults.x);fill("y",numeric,D.defaults.y);fill("g",["(none)"].concat(axes.map(a=>"set."+a)),D.defaults.g);
fill("pa",results,D.defaults.pa);fill("pb",results,D.defaults.pb);fill("pc",["(none)"].concat(results),D.defaults.pc);
document.getElementById("pad").value=D.defaults.pad;document.getElementById("pbd").value=D.defaults.pbd;
document.getElementById("pcd").value=D.defaults.pcd;
const ok=rows.filter(r=>r[ci("status")]==="ok").length;
document.getElementById("count").textContent=rows.length+" points, "+ok+" ran, "+(rows.length-ok)+" with an error.";
const palette=["#1f77b4","#d62728","#2ca02c","#ff7f0e","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
function scale(v,lo,hi,a,b){return hi>lo?a+(v-lo)/(hi-lo)*(b-a):(a+b)/2;}
function esc(s){return String(s).replace(/&/g,"&amp;").replace(/</g,"&lt;");}
function fmt(v){return Math.abs(v)>=1e4||Math.abs(v)<1e-3&&v!==0?v.toExponential(3):+v.toPrecision(4)+"";}
function plot(svg,series,xl,yl,lines){
 const W=860,H=420,L=80,R=170,T=20,B=50;let xs=[],ys=[];
 for(const s of series)for(const p of s.pts){xs.push(p[0]);ys.push(p[1]);}
 let h="";if(!xs.length){svg.innerHTML='<text x="20" y="40">no numbers to draw</text>';return;}
 const x0=Math.min(...xs),x1=Math.max(...xs),y0=Math.min(...ys),y1=Math.max(...ys);
 const X=v=>scale(v,x0,x1,L,W-R),Y=v=>scale(v,y0,y1,H-B,T);
 // An axis whose points all share one value gets one tick (five would stack on each other).
 for(let k=0;k<=4;k++){const xv=x0+(x1-x0)*k/4,yv=y0+(y1-y0)*k/4;
  if(k===0||x1>x0)h+=`<line x1="${X(xv)}" x2="${X(xv)}" y1="${T}" y2="${H-B}" stroke="#eee"/><text x="${X(xv)}" y="${H-B+16}" font-size="11" text-anchor="middle">${fmt(xv)}</text>`;
  if(k===0||y1>y0)h+=`<line x1="${L}" x2="${W-R}" y1="${Y(yv)}" y2="${Y(yv)}" stroke="#eee"/><text x="${L-6}" y="${Y(yv)+4}" font-size="11" text-anchor="end">${fmt(yv)}</text>`;}
 h+=`<text x="${(L+W-R)/2}" y="${H-10}" text-anchor="middle">${esc(xl)}</text><text x="14" y="${(T+H-B)/2}" transform="rotate(-90 14 ${(T+H-B)/2})" text-anchor="middle">${esc(yl)}</text>`;
 series.forEach((s,k)=>{const c=s.color||palette[k%palette.length];const pts=s.pts.slice().sort((a,b)=>a[0]-b[0]);
  if(lines&&pts.length>1)h+=`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map(p=>X(p[0])+","+Y(p[1])).join(" ")}"/>`;
  for(const p of pts)h+=`<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="${s.r||3.5}" fill="${c}"><title>${p[2]||""}</title></circle>`;
  const label=s.name.length>24?s.name.slice(0,11)+"…"+s.name.slice(-12):s.name;
  if(k<22)h+=`<text x="${W-R+10}" y="${T+14+16*k}" font-size="12" fill="${c}">${esc(label)}<title>${esc(s.name)}</title></text>`;});
 svg.innerHTML=h;}
function chart(){const x=document.getElementById("x").value,y=document.getElementById("y").value,g=document.getElementById("g").value;
 const groups=new Map();
 for(const r of rows){const xv=num(r[ci(x)]),yv=num(r[ci(y)]);if(xv===null||yv===null)continue;
  const key=g==="(none)"?y:String(r[ci(g)]);if(!groups.has(key))groups.set(key,[]);groups.get(key).push([xv,yv,r[ci("point")]]);}
 plot(document.getElementById("chart"),[...groups].map(([name,pts])=>({name,pts})),x,y,true);}
let front=new Set();
function pareto(){const a=document.getElementById("pa").value,b=document.getElementById("pb").value,c=document.getElementById("pc").value;
 const ma=document.getElementById("pad").value==="1",mb=document.getElementById("pbd").value==="1",mc=document.getElementById("pcd").value==="1";
 const keys=c==="(none)"?[[a,ma],[b,mb]]:[[a,ma],[b,mb],[c,mc]];
 const pts=[];rows.forEach((r,i)=>{const v=keys.map(([k,up])=>{const x=num(r[ci(k)]);return x===null?null:(up?x:-x);});
  if(v.every(x=>x!==null))pts.push([num(r[ci(a)]),num(r[ci(b)]),i,v]);});
 // q beats p: at least as good on every objective and better on one; of equal points the first stays.
 const beats=(q,p)=>{let strict=false;for(let k=0;k<keys.length;k++){if(q[3][k]<p[3][k])return false;if(q[3][k]>p[3][k])strict=true;}return strict||q[2]<p[2];};
 front=new Set();for(const p of pts)if(!pts.some(q=>q!==p&&beats(q,p)))front.add(p[2]);
 const on=pts.filter(p=>front.has(p[2])).map(p=>[p[0],p[1],rows[p[2]][ci("point")]]),off=pts.filter(p=>!front.has(p[2])).map(p=>[p[0],p[1],rows[p[2]][ci("point")]]);
 plot(document.getElementById("pareto"),[{name:"dominated",pts:off,color:"#bbb"},{name:"Pareto front",pts:on,color:"#d62728",r:5}],a,b,false);
 table();}
let sortCol=0,sortDir=1;
function table(){const order=rows.map((r,i)=>i);
 order.sort((i,j)=>{const u=rows[i][sortCol],v=rows[j][sortCol],nu=num(u),nv=num(v);
  return sortDir*(nu!==null&&nv!==null?nu-nv:String(u).localeCompare(String(v)));});
 let h="<tr>"+cols.map((c,i)=>`<th data-i="${i}">${c}${i===sortCol?(sortDir>0?" ▲":" ▼"):""}</th>`).join("")+"</tr>";
 for(const i of order){const r=rows[i];h+=`<tr class="${front.has(i)?"front":""}">`+r.map(v=>num(v)===null?`<td class="t${v&&r[ci("status")]!=="ok"?" err":""}">${String(v).replace(/&/g,"&amp;").replace(/</g,"&lt;")}</td>`:`<td>${fmt(+v)}</td>`).join("")+"</tr>";}
 const t=document.getElementById("t");t.innerHTML=h;
 t.querySelectorAll("th").forEach(th=>th.onclick=()=>{const i=+th.dataset.i;sortDir=i===sortCol?-sortDir:1;sortCol=i;table();});}
for(const id of ["x","y","g"])document.getElementById(id).onchange=chart;
for(const id of ["pa","pad","pb","pbd","pc","pcd"])document.getElementById(id).onchange=pareto;
chart();pareto();
// The first view's front, as the tested C++ pareto_front found it: the page must agree.
{const want=D.front.slice().sort((a,b)=>a-b).join(","),got=[...front].sort((a,b)=>a-b).join(",");
 document.body.setAttribute("data-front-agrees",want===got?"1":"0:"+got+" vs "+want);}
document.body.setAttribute("data-charts",String(document.querySelectorAll("svg.chart").length));
</script></body></html>
)HTML";

std::string first_present(const std::vector<std::string>& columns, const std::vector<std::string>& wanted,
                          const std::string& fallback) {
  for (const auto& w : wanted)
    if (std::find(columns.begin(), columns.end(), w) != columns.end()) return w;
  return fallback;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

// The rows on the first view's Pareto front (pareto_front over the default results, rows
// whose values are all numbers), for the page to check its own answer against.
std::vector<std::size_t> default_front(const ResultStore::Table& table, const nlohmann::ordered_json& d) {
  std::vector<std::pair<std::string, bool>> keys = {{d["pa"], d["pad"] == "1"}, {d["pb"], d["pbd"] == "1"}};
  if (d["pc"] != "(none)") keys.push_back({d["pc"], d["pcd"] == "1"});
  std::vector<std::size_t> cols;
  std::vector<bool> maximize;
  for (const auto& [key, up] : keys) {
    const auto at = std::find(table.columns.begin(), table.columns.end(), key);
    if (at == table.columns.end()) return {};
    cols.push_back(std::size_t(at - table.columns.begin()));
    maximize.push_back(up);
  }
  std::vector<std::vector<double>> points;
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<double> v;
    for (std::size_t c : cols) {
      const std::string& text = table.rows[r][c];
      double x = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(x)) break;
      v.push_back(x);
    }
    if (v.size() != cols.size()) continue;
    points.push_back(std::move(v));
    rows.push_back(r);
  }
  std::vector<std::size_t> front;
  for (std::size_t i : pareto_front(points, maximize)) front.push_back(rows[i]);
  return front;
}

}  // namespace

void write_sweep_report(const std::filesystem::path& file, const std::string& title, const ResultStore::Table& table,
                        const std::vector<std::string>& axis_keys) {
  const auto& c = table.columns;
  const std::string first_result = c.size() > 5 + axis_keys.size() ? c[5 + axis_keys.size()] : "wall_s";
  nlohmann::ordered_json data;
  data["columns"] = c;
  data["rows"] = table.rows;
  data["axes"] = axis_keys;
  // The first view: the first axis against iteration time (or the first result), grouped
  // by the second axis; throughput against cost and power for the front.
  const std::string y = first_present(c, {"training.iteration_time_s",
                                          "flows.completion_time_p99_s", "queueing.mean_sojourn_s"}, first_result);
  data["defaults"] = {
      {"x", axis_keys.empty() ? "id" : "set." + axis_keys[0]},
      {"y", y},
      {"g", axis_keys.size() > 1 ? "set." + axis_keys[1] : "(none)"},
      {"pa", first_present(c, {"training.tokens_per_s"}, y)},
      {"pad", c.end() != std::find(c.begin(), c.end(), "training.tokens_per_s") ? "1" : "0"},
      {"pb", first_present(c, {"cost.total_usd", "energy.facility_kwh", "power.facility_avg_w"}, first_result)},
      {"pbd", "0"},
      {"pc", first_present(c, {"power.facility_avg_w"}, "(none)")},
      {"pcd", "0"}};
  data["front"] = default_front(table, data["defaults"]);
  // Inside a <script>: "</" must not close it.
  const std::string json = replace_all(data.dump(), "</", "<\\/");
  std::string html = replace_all(kPage, "@TITLE@", replace_all(replace_all(title, "&", "&amp;"), "<", "&lt;"));
  html = replace_all(html, "@DATA@", json);
  AtomicFile out(file);
  out.write(html);
  out.commit();
}

}  // namespace dcsim::study
