<?xml version='1.0' encoding='utf-8'?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name />
    <message>
        <source> m</source>
        <translation> m</translation>
    </message>
    <message>
        <source>Change between scans</source>
        <translation>两期扫描间的变化</translation>
    </message>
    <message>
        <source>{v0}  ({v1:,} points)</source>
        <translation>{v0}  （{v1:,} 个点）</translation>
    </message>
    <message>
        <source>M3C2 cylinder radius: the points of each scan within it are averaged</source>
        <translation>M3C2 圆柱半径：对每期扫描中落在其内的点取平均</translation>
    </message>
    <message>
        <source>Radius of the neighbourhood the surface normal is fitted to</source>
        <translation>拟合表面法向所用邻域的半径</translation>
    </message>
    <message>
        <source>How far along the normal a change is looked for (cylinder half-length)</source>
        <translation>沿法向搜索变化的距离（圆柱半长）</translation>
    </message>
    <message>
        <source>Alignment uncertainty of the two scans, added to the level of detection</source>
        <translation>两期扫描的配准不确定度，计入检测阈值</translation>
    </message>
    <message>
        <source>optional: x, y, z; x, y, z … ({v0})</source>
        <translation>可选：x, y, z; x, y, z …（{v0}）</translation>
    </message>
    <message>
        <source>scene metres</source>
        <translation>场景米制坐标</translation>
    </message>
    <message>
        <source>Where the scanner stood (both scans), in the coordinates the status bar shows: normals then face the scanner, and what a scan could not see is not called change</source>
        <translation>扫描仪站点位置（两期扫描），使用状态栏所示坐标：法向将朝向扫描仪，扫描看不到的部分不判为变化</translation>
    </message>
    <message>
        <source>Earlier scan</source>
        <translation>较早的扫描</translation>
    </message>
    <message>
        <source>Later scan</source>
        <translation>较晚的扫描</translation>
    </message>
    <message>
        <source>Cylinder radius</source>
        <translation>圆柱半径</translation>
    </message>
    <message>
        <source>Normal radius</source>
        <translation>法向半径</translation>
    </message>
    <message>
        <source>Max distance</source>
        <translation>最大距离</translation>
    </message>
    <message>
        <source>Registration error</source>
        <translation>配准误差</translation>
    </message>
    <message>
        <source>Scanner stations</source>
        <translation>扫描仪站点</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Open two point cloud scans of the same place first (an earlier and a later one).</source>
        <translation>请先打开同一地点的两期点云扫描（一期较早，一期较晚）。</translation>
    </message>
    <message>
        <source>Choose two different scans: the earlier and the later one.</source>
        <translation>请选择两期不同的扫描：较早的和较晚的。</translation>
    </message>
    <message>
        <source>Change {v0} → {v1}</source>
        <translation>变化 {v0} → {v1}</translation>
    </message>
    <message>
        <source>Computing the change…</source>
        <translation>正在计算变化…</translation>
    </message>
    <message>
        <source>Change %p%</source>
        <translation>变化 %p%</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Cancelled: nothing was added.</source>
        <translation>已取消：未添加任何内容。</translation>
    </message>
    <message>
        <source>internal error: {v0}: {exc}</source>
        <translation>内部错误：{v0}：{exc}</translation>
    </message>
    <message>
        <source>Change: {v0:,} significant of {v1:,} compared, {v2:,} new and {v3:,} removed points</source>
        <translation>变化：已比较 {v1:,} 点，其中显著变化 {v0:,} 点，新增 {v2:,} 点，移除 {v3:,} 点</translation>
    </message>
    <message>
        <source>scene frame</source>
        <translation>场景坐标系</translation>
    </message>
    <message>
        <source>Value at the low end of the colour ramp</source>
        <translation>色带低端对应的值</translation>
    </message>
    <message>
        <source>Value at the high end of the colour ramp</source>
        <translation>色带高端对应的值</translation>
    </message>
    <message>
        <source>Reset to data range</source>
        <translation>恢复为数据范围</translation>
    </message>
    <message>
        <source>Use the range of the whole layer (not only what is drawn)</source>
        <translation>使用整个图层的范围（不仅是当前绘制的部分）</translation>
    </message>
    <message>
        <source>Range</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Heights ({v0})</source>
        <translation>高程（{v0}）</translation>
    </message>
    <message>
        <source>Default colours</source>
        <translation>默认颜色</translation>
    </message>
    <message>
        <source>Elevation</source>
        <translation>高程</translation>
    </message>
    <message>
        <source>RGB (true colour)</source>
        <translation>RGB（真彩色）</translation>
    </message>
    <message>
        <source>Intensity</source>
        <translation>强度</translation>
    </message>
    <message>
        <source>Classification (ASPRS)</source>
        <translation>分类（ASPRS）</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Storey</source>
        <translation>楼层</translation>
    </message>
    <message>
        <source>Material</source>
        <translation>材质</translation>
    </message>
    <message>
        <source>Deviation from design (m)</source>
        <translation>与设计的偏差（m）</translation>
    </message>
    <message>
        <source>Comparison status</source>
        <translation>比对状态</translation>
    </message>
    <message>
        <source>Schedule status (planned vs actual)</source>
        <translation>进度状态（计划与实际）</translation>
    </message>
    <message>
        <source>Properties</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Search colour modes</source>
        <translation>搜索着色方式</translation>
    </message>
    <message>
        <source>{v0} ({v1})</source>
        <translation>{v0} ({v1})</translation>
    </message>
    <message>
        <source>No colour mode matches “{text}”</source>
        <translation>没有与“{text}”匹配的着色方式</translation>
    </message>
    <message>
        <source>Click to choose; type to search</source>
        <translation>单击选择；输入以搜索</translation>
    </message>
    <message>
        <source>Compare scan with design</source>
        <translation>扫描与设计比对</translation>
    </message>
    <message>
        <source>{v0}  ({v1:,} elements)</source>
        <translation>{v0}  （{v1:,} 个构件）</translation>
    </message>
    <message>
        <source>Deviations within ± this are “as designed” (white)</source>
        <translation>偏差在 ± 此值以内视为“符合设计”（白色）</translation>
    </message>
    <message>
        <source>Points farther than this from every design surface are far (clutter, scaffolding, people): grey, and not averaged in</source>
        <translation>距所有设计表面都超过此距离的点视为远点（杂物、脚手架、行人）：显示为灰色，不参与平均</translation>
    </message>
    <message>
        <source>Where the scanner stood, in the coordinates the status bar shows: faces no station could see are not held against an element (see the README's verdict rules)</source>
        <translation>扫描仪站点位置，使用状态栏所示坐标：任何站点都看不到的面不计入构件判定（见 README 中的判定规则）</translation>
    </message>
    <message>
        <source>Scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <source>Design</source>
        <translation>设计</translation>
    </message>
    <message>
        <source>Tolerance</source>
        <translation>容差</translation>
    </message>
    <message>
        <source>Far cut-off</source>
        <translation>远点阈值</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比对</translation>
    </message>
    <message>
        <source>{v0} streams from a COPC file too large to hold in memory: compare it with `twinscape compare --scan FILE --design MODEL.ifc -o report.html`, which reads it in chunks.</source>
        <translation>{v0} 来自一个过大、无法全部载入内存的 COPC 文件（流式加载）：请用 `twinscape compare --scan FILE --design MODEL.ifc -o report.html` 比对，它会分块读取。</translation>
    </message>
    <message>
        <source>Open a point cloud scan and an IFC model first: </source>
        <translation>请先打开一个点云扫描和一个 IFC 模型：</translation>
    </message>
    <message>
        <source>no point cloud layer is open.</source>
        <translation>没有打开的点云图层。</translation>
    </message>
    <message>
        <source>no BIM layer with elements is open.</source>
        <translation>没有打开含构件的 BIM 图层。</translation>
    </message>
    <message>
        <source>elements</source>
        <translation>构件数</translation>
    </message>
    <message>
        <source>progress %</source>
        <translation>进度 %</translation>
    </message>
    <message>
        <source>status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>storey</source>
        <translation>楼层</translation>
    </message>
    <message>
        <source>coverage %</source>
        <translation>覆盖率 %</translation>
    </message>
    <message>
        <source>mean (m)</source>
        <translation>平均（m）</translation>
    </message>
    <message>
        <source>max (m)</source>
        <translation>最大（m）</translation>
    </message>
    <message>
        <source>points</source>
        <translation>点数</translation>
    </message>
    <message>
        <source>Construction progress</source>
        <translation>施工进度</translation>
    </message>
    <message>
        <source>IFC class</source>
        <translation>IFC 类</translation>
    </message>
    <message>
        <source>By storey</source>
        <translation>按楼层</translation>
    </message>
    <message>
        <source>By class</source>
        <translation>按类别</translation>
    </message>
    <message>
        <source>Elements</source>
        <translation>构件</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>进度计划</translation>
    </message>
    <message>
        <source>Comparing…</source>
        <translation>正在比对…</translation>
    </message>
    <message>
        <source>No comparison yet: Analysis › Compare scan with design…</source>
        <translation>尚无比对：分析 › 扫描与设计比对…</translation>
    </message>
    <message>
        <source>&lt;b&gt;{v0}&lt;/b&gt;: progress {v1:.1f}% of {v2} elements ({counts}); tolerance ±{v4:g} m</source>
        <translation>&lt;b&gt;{v0}&lt;/b&gt;：{v2} 个构件完成 {v1:.1f}%（{counts}）；容差 ±{v4:g} m</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>No comparison yet
Analysis › Compare scan with design…</source>
        <translation>尚无比对
分析 › 扫描与设计比对…</translation>
    </message>
    <message>
        <source>deviation (m), dashed: ±{v0:g} m</source>
        <translation>偏差（m），虚线：±{v0:g} m</translation>
    </message>
    <message>
        <source>, log counts</source>
        <translation>，对数计数</translation>
    </message>
    <message>
        <source>Deviation histogram</source>
        <translation>偏差直方图</translation>
    </message>
    <message>
        <source>Only beyond tolerance</source>
        <translation>仅显示超出容差的点</translation>
    </message>
    <message>
        <source>Hide the scan's points within ± tolerance and the far points</source>
        <translation>隐藏扫描中 ± 容差以内的点和远点</translation>
    </message>
    <message>
        <source>Colour range of the deviations: the ramp is clipped beyond ± this</source>
        <translation>偏差的着色范围：超出 ± 此值的部分按端色显示</translation>
    </message>
    <message>
        <source>Colours</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>&lt;b&gt;{v0}&lt;/b&gt;&lt;br&gt;within ±{tol:g} m: {v2:,} ({v3:.1f}%) &amp;nbsp; beyond: {v4:,} ({v5:,} −, {v6:,} +) &amp;nbsp; far (&amp;gt; {v7:g} m): {v8:,}</source>
        <translation>&lt;b&gt;{v0}&lt;/b&gt;&lt;br&gt;±{tol:g} m 以内：{v2:,}（{v3:.1f}%） &amp;nbsp; 超出：{v4:,}（{v5:,} −，{v6:,} +） &amp;nbsp; 远点（&amp;gt; {v7:g} m）：{v8:,}</translation>
    </message>
    <message>
        <source>Gantt</source>
        <translation>甘特图</translation>
    </message>
    <message>
        <source>Link to model...</source>
        <translation>关联到模型...</translation>
    </message>
    <message>
        <source>Go to start</source>
        <translation>转到开始</translation>
    </message>
    <message>
        <source>Move the clock to the chosen task's start</source>
        <translation>将时钟移到所选任务的开始时间</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>&amp;Link schedule to model...</source>
        <translation>将进度计划关联到模型(&amp;L)...</translation>
    </message>
    <message>
        <source>UID {v0}  WBS {v1}  {v2}</source>
        <translation>UID {v0}  WBS {v1}  {v2}</translation>
    </message>
    <message>
        <source>Gantt: {v0}</source>
        <translation>甘特图：{v0}</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>The language changes when Twinscape starts next.</source>
        <translation>语言将在下次启动 Twinscape 时切换。</translation>
    </message>
    <message>
        <source>Link {v0} to a model</source>
        <translation>将 {v0} 关联到模型</translation>
    </message>
    <message>
        <source>Model layer</source>
        <translation>模型图层</translation>
    </message>
    <message>
        <source>Link table (CSV)</source>
        <translation>关联表（CSV）</translation>
    </message>
    <message>
        <source>IFC property</source>
        <translation>IFC 属性</translation>
    </message>
    <message>
        <source>The IFC's own 4D (IfcTask)</source>
        <translation>IFC 自带的 4D（IfcTask）</translation>
    </message>
    <message>
        <source>links.csv: a GUID column and a task column (UID, ID, WBS or name)</source>
        <translation>links.csv：一列 GUID 和一列任务（UID、ID、WBS 或名称）</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览...</translation>
    </message>
    <message>
        <source>Pset.Property, e.g. Pset_4D.Task</source>
        <translation>属性集.属性，例如 Pset_4D.Task</translation>
    </message>
    <message>
        <source>No model with elements is open: open an IFC or a BIM model first.</source>
        <translation>没有打开含构件的模型：请先打开 IFC 或 BIM 模型。</translation>
    </message>
    <message>
        <source>Link</source>
        <translation>关联</translation>
    </message>
    <message>
        <source>Link table</source>
        <translation>关联表</translation>
    </message>
    <message>
        <source>Link tables (*.csv *.txt);;All files (*)</source>
        <translation>关联表 (*.csv *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a link table file.</source>
        <translation>请选择关联表文件。</translation>
    </message>
    <message>
        <source>Name the property as Pset.Property.</source>
        <translation>请按 属性集.属性 的格式填写属性名。</translation>
    </message>
    <message>
        <source>No links made: {exc}</source>
        <translation>未建立关联：{exc}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New Project</source>
        <translation>新建项目(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>Open &amp;URL…</source>
        <translation>打开 URL(&amp;U)…</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Close Project</source>
        <translation>关闭项目(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Navigation</source>
        <translation>导航(&amp;N)</translation>
    </message>
    <message>
        <source>Orbit about the vertical: the horizon stays level (drag: orbit, middle/Shift: pan, wheel: zoom)</source>
        <translation>绕竖直轴环绕：地平线保持水平（拖动：环绕，中键/Shift：平移，滚轮：缩放）</translation>
    </message>
    <message>
        <source>Free rotation: the horizon may roll</source>
        <translation>自由旋转：地平线可能倾斜</translation>
    </message>
    <message>
        <source>T&amp;ime</source>
        <translation>时间(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Analysis</source>
        <translation>分析(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Compare scan with design…</source>
        <translation>扫描与设计比对(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;Export comparison report…</source>
        <translation>导出比对报告(&amp;E)…</translation>
    </message>
    <message>
        <source>C&amp;hange between scans…</source>
        <translation>两期扫描间的变化(&amp;H)…</translation>
    </message>
    <message>
        <source>&amp;Refine alignment (ICP)…</source>
        <translation>精细配准（ICP）(&amp;R)…</translation>
    </message>
    <message>
        <source>Refine alignment (ICP)</source>
        <translation>精细配准（ICP）</translation>
    </message>
    <message>
        <source>Select the point cloud to align in the Layers dock first.</source>
        <translation>请先在图层面板中选择要配准的点云。</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Present</source>
        <translation>演示(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Measure</source>
        <translation>量测(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Finish measurement</source>
        <translation>完成量测(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Cancel measurement</source>
        <translation>取消量测(&amp;C)</translation>
    </message>
    <message>
        <source>Add &amp;label</source>
        <translation>添加标注(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Section</source>
        <translation>剖切(&amp;S)</translation>
    </message>
    <message>
        <source>Section &amp;box</source>
        <translation>剖切盒(&amp;B)</translation>
    </message>
    <message>
        <source>Clipping &amp;plane</source>
        <translation>剖切面(&amp;P)</translation>
    </message>
    <message>
        <source>Section &amp;outline</source>
        <translation>剖切轮廓线(&amp;O)</translation>
    </message>
    <message>
        <source>Section &amp;handles</source>
        <translation>剖切控制柄(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About Twinscape</source>
        <translation>关于 Twinscape(&amp;A)</translation>
    </message>
    <message>
        <source>About Twinscape</source>
        <translation>关于 Twinscape</translation>
    </message>
    <message>
        <source>Spatial structure</source>
        <translation>空间结构</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Search name or GlobalId (Enter selects)</source>
        <translation>搜索名称或 GlobalId（回车选中）</translation>
    </message>
    <message>
        <source>Element</source>
        <translation>构件</translation>
    </message>
    <message>
        <source>Isolate</source>
        <translation>隔离显示</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>全部显示</translation>
    </message>
    <message>
        <source>(no storey)</source>
        <translation>（无楼层）</translation>
    </message>
    <message>
        <source>Place {layer_name}</source>
        <translation>放置 {layer_name}</translation>
    </message>
    <message>
        <source>This layer has no georeference. Either name the CRS its coordinates are in:</source>
        <translation>此图层没有地理参考。请指定其坐标所在的坐标系：</translation>
    </message>
    <message>
        <source>e.g. 4547 or EPSG:32650; leave empty to place by latitude/longitude</source>
        <translation>例如 4547 或 EPSG:32650；留空则按经纬度放置</translation>
    </message>
    <message>
        <source>Coordinate system</source>
        <translation>坐标系</translation>
    </message>
    <message>
        <source>or say where its local origin (0, 0, 0) stands:</source>
        <translation>或者指定其局部原点 (0, 0, 0) 的位置：</translation>
    </message>
    <message>
        <source>Direction of the model's +y axis, clockwise from north</source>
        <translation>模型 +y 轴的方向，自北顺时针</translation>
    </message>
    <message>
        <source>Latitude (WGS84)</source>
        <translation>纬度（WGS84）</translation>
    </message>
    <message>
        <source>Longitude (WGS84)</source>
        <translation>经度（WGS84）</translation>
    </message>
    <message>
        <source>Ellipsoidal height</source>
        <translation>椭球高</translation>
    </message>
    <message>
        <source>Rotation (+y from north, clockwise)</source>
        <translation>旋转（+y 自北顺时针）</translation>
    </message>
    <message>
        <source>Point &amp;budget…</source>
        <translation>点数预算(&amp;B)…</translation>
    </message>
    <message>
        <source>Point budget</source>
        <translation>点数预算</translation>
    </message>
    <message>
        <source>Points drawn per frame, all clouds together:</source>
        <translation>每帧绘制的点数（所有点云合计）：</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>point</source>
        <translation>点</translation>
    </message>
    <message>
        <source>id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>material</source>
        <translation>材质</translation>
    </message>
    <message>
        <source>x (m, ENU)</source>
        <translation>x（m，ENU）</translation>
    </message>
    <message>
        <source>y (m, ENU)</source>
        <translation>y（m，ENU）</translation>
    </message>
    <message>
        <source>z (m, ENU)</source>
        <translation>z（m，ENU）</translation>
    </message>
    <message>
        <source>lat (deg)</source>
        <translation>纬度（°）</translation>
    </message>
    <message>
        <source>lon (deg)</source>
        <translation>经度（°）</translation>
    </message>
    <message>
        <source>h (m)</source>
        <translation>大地高（m）</translation>
    </message>
    <message>
        <source>time step</source>
        <translation>时间步</translation>
    </message>
    <message>
        <source>time (UTC)</source>
        <translation>时间（UTC）</translation>
    </message>
    <message>
        <source>tile</source>
        <translation>瓦片</translation>
    </message>
    <message>
        <source>feature</source>
        <translation>要素</translation>
    </message>
    <message>
        <source>schema</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>group</source>
        <translation>组</translation>
    </message>
    <message>
        <source>class name</source>
        <translation>类别名称</translation>
    </message>
    <message>
        <source>tileset class</source>
        <translation>瓦片集类</translation>
    </message>
    <message>
        <source>tile class</source>
        <translation>瓦片类</translation>
    </message>
    <message>
        <source>content class</source>
        <translation>内容类</translation>
    </message>
    <message>
        <source>group class</source>
        <translation>组类</translation>
    </message>
    <message>
        <source>tileset</source>
        <translation>瓦片集</translation>
    </message>
    <message>
        <source>content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Click an object in the view to see its properties.</source>
        <translation>在视图中单击对象以查看其属性。</translation>
    </message>
    <message>
        <source>Property</source>
        <translation>属性</translation>
    </message>
    <message>
        <source> (corrected)</source>
        <translation>（已校正）</translation>
    </message>
    <message>
        <source>Time (UTC)</source>
        <translation>时间 (UTC)</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>物理量</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Alert level</source>
        <translation>告警阈值</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>No alerts. Set alert levels for a sensor layer in the Layers dock.</source>
        <translation>没有告警。可在“图层”面板中为传感器图层设置告警阈值。</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>The selected alerts are seen: their sensors stop pulsing</source>
        <translation>已查看所选告警：其传感器停止闪烁</translation>
    </message>
    <message>
        <source>Acknowledge all</source>
        <translation>全部确认</translation>
    </message>
    <message>
        <source>Nothing picked. Click an object in the view to see its properties.</source>
        <translation>未选中任何对象。在视图中单击对象以查看其属性。</translation>
    </message>
    <message>
        <source>Distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>点</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>面积</translation>
    </message>
    <message>
        <source>Angle</source>
        <translation>角度</translation>
    </message>
    <message>
        <source>distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <source>horizontal</source>
        <translation>水平</translation>
    </message>
    <message>
        <source>vertical</source>
        <translation>垂直</translation>
    </message>
    <message>
        <source>height above ground</source>
        <translation>离地高度</translation>
    </message>
    <message>
        <source>length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>horizontal length</source>
        <translation>水平长度</translation>
    </message>
    <message>
        <source>area (horizontal)</source>
        <translation>面积（水平投影）</translation>
    </message>
    <message>
        <source>area (surface)</source>
        <translation>面积（表面）</translation>
    </message>
    <message>
        <source>perimeter</source>
        <translation>周长</translation>
    </message>
    <message>
        <source>angle</source>
        <translation>角度</translation>
    </message>
    <message>
        <source>lat {lat}°, lon {lon}°, h {h} m</source>
        <translation>纬度 {lat}°，经度 {lon}°，高 {h} m</translation>
    </message>
    <message>
        <source>Measurements</source>
        <translation>量测</translation>
    </message>
    <message>
        <source>Measurement</source>
        <translation>量测项</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>Marker</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>Annotations</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>&amp;Copy measurement</source>
        <translation>复制量测结果(&amp;C)</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Label colour</source>
        <translation>标注颜色</translation>
    </message>
    <message>
        <source>Copy value</source>
        <translation>复制值</translation>
    </message>
    <message>
        <source>Copy name and value</source>
        <translation>复制名称和值</translation>
    </message>
    <message>
        <source>Copy property set</source>
        <translation>复制属性集</translation>
    </message>
    <message>
        <source>Refine alignment of {v0}</source>
        <translation>精细配准 {v0}</translation>
    </message>
    <message>
        <source>{v0}  ({count:,} {kind})</source>
        <translation>{v0}  （{count:,} {kind}）</translation>
    </message>
    <message>
        <source>Points farther than this from the reference (clutter) are left out of the residual</source>
        <translation>距参考超过此距离的点（杂物）不计入残差</translation>
    </message>
    <message>
        <source>Run ICP to see the residual before and after.</source>
        <translation>运行 ICP 以查看配准前后的残差。</translation>
    </message>
    <message>
        <source>Layer to move</source>
        <translation>要移动的图层</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考</translation>
    </message>
    <message>
        <source>Residual cut-off</source>
        <translation>残差阈值</translation>
    </message>
    <message>
        <source>Run ICP</source>
        <translation>运行 ICP</translation>
    </message>
    <message>
        <source>{v0} has no coordinates that can be moved here (a streamed layer?).</source>
        <translation>{v0} 没有可在此移动的坐标（是流式图层吗？）。</translation>
    </message>
    <message>
        <source>Open a reference first: a BIM model, a mesh or another point cloud of the same place.</source>
        <translation>请先打开参考：同一地点的 BIM 模型、网格或另一期点云。</translation>
    </message>
    <message>
        <source>Refine {v0}</source>
        <translation>精细配准 {v0}</translation>
    </message>
    <message>
        <source>Refining against {v0}…</source>
        <translation>正在以 {v0} 为参考精细配准…</translation>
    </message>
    <message>
        <source>ICP %p%</source>
        <translation>ICP %p%</translation>
    </message>
    <message>
        <source>Cancelled: nothing changed.</source>
        <translation>已取消：未做任何更改。</translation>
    </message>
    <message>
        <source>The layer moved while ICP ran: run it again.</source>
        <translation>ICP 运行期间图层被移动：请重新运行。</translation>
    </message>
    <message>
        <source>RMS residual {before:.1f} mm → {after:.1f} mm over {n:,} points; moves {shift:.3f} m and {angle:.2f}° ({method}{converged}, {seconds:.1f} s).</source>
        <translation>RMS 残差 {before:.1f} mm → {after:.1f} mm（{n:,} 个点）；平移 {shift:.3f} m，旋转 {angle:.2f}°（{method}{converged}，{seconds:.1f} 秒）。</translation>
    </message>
    <message>
        <source>, not converged</source>
        <translation>，未收敛</translation>
    </message>
    <message>
        <source>
Applied (Edit › Undo to go back).</source>
        <translation>
已应用（编辑 › 撤销 可恢复）。</translation>
    </message>
    <message>
        <source>Planned versus actual needs a comparison of a scan with a BIM model (Analysis › Compare scan with design…) and a schedule linked to that model (Gantt dock › Link…).</source>
        <translation>计划与实际对比需要：一次扫描与 BIM 模型的比对（分析 › 扫描与设计比对…），以及关联到该模型的进度计划（甘特图面板 › 关联…）。</translation>
    </message>
    <message>
        <source>By task</source>
        <translation>按任务</translation>
    </message>
    <message>
        <source>At {v0}&lt;br&gt;</source>
        <translation>时间 {v0}&lt;br&gt;</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>菜单</translation>
    </message>
    <message>
        <source>Mouse in the 3D view: left drag orbits, middle or Shift+left drag pans, the wheel zooms toward the cursor, right drag zooms; a click picks.</source>
        <translation>三维视图中的鼠标：左键拖动环绕，中键或 Shift+左键拖动平移，滚轮向光标处缩放，右键拖动缩放；单击拾取。</translation>
    </message>
    <message>
        <source>&amp;Single view</source>
        <translation>单视图(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;plit view</source>
        <translation>分屏视图(&amp;P)</translation>
    </message>
    <message>
        <source>S&amp;wipe</source>
        <translation>卷帘(&amp;W)</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>左侧</translation>
    </message>
    <message>
        <source>Right</source>
        <translation>右侧</translation>
    </message>
    <message>
        <source>Both</source>
        <translation>两侧</translation>
    </message>
    <message>
        <source>Automatic ({side})</source>
        <translation>自动（{side}）</translation>
    </message>
    <message>
        <source>Side &amp;by side</source>
        <translation>并排对比(&amp;B)</translation>
    </message>
    <message>
        <source>One view with every layer</source>
        <translation>一个视图显示所有图层</translation>
    </message>
    <message>
        <source>Two halves with one linked camera: each side shows its own layers (Sides...)</source>
        <translation>左右两半共用联动相机：每侧显示各自的图层（两侧设置...）</translation>
    </message>
    <message>
        <source>One view; drag the vertical line: left-side layers to its left, right-side layers to its right</source>
        <translation>一个视图；拖动竖线：左侧图层显示在线左边，右侧图层显示在线右边</translation>
    </message>
    <message>
        <source>S&amp;ides…</source>
        <translation>两侧设置(&amp;I)…</translation>
    </message>
    <message>
        <source>Which layers the left and the right side show</source>
        <translation>左侧和右侧各显示哪些图层</translation>
    </message>
    <message>
        <source>&amp;Full screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>Split view: Side by side &gt; Sides... chooses each side's layers</source>
        <translation>分屏视图：并排对比 &gt; 两侧设置... 选择每侧的图层</translation>
    </message>
    <message>
        <source>Swipe: drag the vertical line</source>
        <translation>卷帘：拖动竖线</translation>
    </message>
    <message>
        <source>Side by side: layers per side</source>
        <translation>并排对比：各侧图层</translation>
    </message>
    <message>
        <source>Each layer shows on the left, the right or both sides
(split view: the two halves; swipe: the two sides of the line).</source>
        <translation>每个图层可显示在左侧、右侧或两侧
（分屏视图：左右两半；卷帘：竖线两边）。</translation>
    </message>
    <message>
        <source>(unnamed)</source>
        <translation>（未命名）</translation>
    </message>
    <message>
        <source>No layers open.</source>
        <translation>没有打开的图层。</translation>
    </message>
    <message>
        <source>Point cloud</source>
        <translation>点云</translation>
    </message>
    <message>
        <source>Mesh</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>Comparison</source>
        <translation>比对</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Live sensors</source>
        <translation>实时传感器</translation>
    </message>
    <message>
        <source>Show only the features that match; Enter applies, an empty box shows all.
height &gt; 30 and use == "office"
use in ("office", "retail")    name contains "Tower"    not (year &lt; 2000)
${roof type} == "flat"    [Pset_WallCommon.IsExternal] == true    class == "IfcWall"
Features without the property, or with a value of another type, do not match.</source>
        <translation>只显示符合条件的要素；回车应用，清空则全部显示。
height &gt; 30 and use == "office"
use in ("office", "retail")    name contains "Tower"    not (year &lt; 2000)
${roof type} == "flat"    [Pset_WallCommon.IsExternal] == true    class == "IfcWall"
没有该属性或属性值类型不同的要素不符合条件。</translation>
    </message>
    <message>
        <source>{n:,} points</source>
        <translation>{n:,} 个点</translation>
    </message>
    <message>
        <source>{n:,} triangles</source>
        <translation>{n:,} 个三角形</translation>
    </message>
    <message>
        <source>{n:,} elements</source>
        <translation>{n:,} 个构件</translation>
    </message>
    <message>
        <source>{n:,} tiles</source>
        <translation>{n:,} 个瓦片</translation>
    </message>
    <message>
        <source>{n:,} time steps</source>
        <translation>{n:,} 个时间步</translation>
    </message>
    <message>
        <source>{n:,} sensors</source>
        <translation>{n:,} 个传感器</translation>
    </message>
    <message>
        <source>{n:,} tasks</source>
        <translation>{n:,} 项任务</translation>
    </message>
    <message>
        <source>{n:,} linked elements</source>
        <translation>{n:,} 个关联构件</translation>
    </message>
    <message>
        <source>file not found</source>
        <translation>文件未找到</translation>
    </message>
    <message>
        <source>File not found. Tried:
{tried}
Right-click &gt; Locate… to re-link it.</source>
        <translation>文件未找到。已尝试：
{tried}
右键 &gt; 定位… 可重新关联。</translation>
    </message>
    <message>
        <source>Applied to each tile as it loads</source>
        <translation>每个瓦片加载时应用</translation>
    </message>
    <message>
        <source>{matched:,} of {total:,} features</source>
        <translation>{total:,} 个要素中的 {matched:,} 个</translation>
    </message>
    <message>
        <source>No feature has </source>
        <translation>没有要素具有属性 </translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Contents</source>
        <translation>内容</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Classes</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>Show or hide ASPRS classes</source>
        <translation>显示或隐藏 ASPRS 分类</translation>
    </message>
    <message>
        <source>Zoom to</source>
        <translation>缩放至</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Place…</source>
        <translation>放置…</translation>
    </message>
    <message>
        <source>Georeference a layer that has none: name its CRS (EPSG code) or put its origin at a latitude/longitude</source>
        <translation>为没有地理参考的图层设置参考：指定其坐标系（EPSG 代码），或将其原点放到某个经纬度</translation>
    </message>
    <message>
        <source>e.g. height &gt; 30 and use == "office"</source>
        <translation>例如 height &gt; 30 and use == "office"</translation>
    </message>
    <message>
        <source>Opacity</source>
        <translation>不透明度</translation>
    </message>
    <message>
        <source>Colour by</source>
        <translation>着色方式</translation>
    </message>
    <message>
        <source>{field} of {layer}</source>
        <translation>{layer} 的{field}</translation>
    </message>
    <message>
        <source>Remove {layer}</source>
        <translation>移除 {layer}</translation>
    </message>
    <message>
        <source>Visibility</source>
        <translation>可见性</translation>
    </message>
    <message>
        <source>Point size</source>
        <translation>点大小</translation>
    </message>
    <message>
        <source>Filter</source>
        <translation>筛选</translation>
    </message>
    <message>
        <source>Hidden elements</source>
        <translation>隐藏的构件</translation>
    </message>
    <message>
        <source>Side</source>
        <translation>显示侧</translation>
    </message>
    <message>
        <source>Place {layer}</source>
        <translation>放置 {layer}</translation>
    </message>
    <message>
        <source>{v0}  ⚠</source>
        <translation>{v0}  ⚠</translation>
    </message>
    <message>
        <source>Locate…</source>
        <translation>定位…</translation>
    </message>
    <message>
        <source>Filter…</source>
        <translation>筛选…</translation>
    </message>
    <message>
        <source>Move scene origin to this layer</source>
        <translation>将场景原点移到此图层</translation>
    </message>
    <message>
        <source>Refine alignment (ICP)…</source>
        <translation>精细配准（ICP）…</translation>
    </message>
    <message>
        <source>Locate {name}</source>
        <translation>定位 {name}</translation>
    </message>
    <message>
        <source>{name} ({name});;All files (*)</source>
        <translation>{name} ({name});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Re-link missing layers</source>
        <translation>重新关联缺失的图层</translation>
    </message>
    <message>
        <source>{v0} other missing layer(s) are in {folder}:
{names}

Re-link them too?</source>
        <translation>{folder} 中还有 {v0} 个缺失的图层：
{names}

是否一并重新关联？</translation>
    </message>
    <message>
        <source>Maximum screen-space error: lower draws finer tiles sooner (more data); CesiumJS's default is 16 px</source>
        <translation>最大屏幕空间误差：越低越早绘制更精细的瓦片（数据更多）；CesiumJS 默认 16 像素</translation>
    </message>
    <message>
        <source> MiB</source>
        <translation> MiB</translation>
    </message>
    <message>
        <source>Memory for this tileset's loaded tiles; least recently used tiles out of view are dropped past it, and detail is lowered gradually while the view alone needs more</source>
        <translation>此瓦片集已加载瓦片的内存上限；超出时丢弃视野外最久未用的瓦片，若当前视图本身需要更多则逐步降低细节</translation>
    </message>
    <message>
        <source>Point size of streamed points; points near the camera grow to close the gaps</source>
        <translation>流式点云的点大小；靠近相机的点会放大以填补空隙</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>细节</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Set time</source>
        <translation>设置时间</translation>
    </message>
    <message>
        <source>Time ({v0}):</source>
        <translation>时间（{v0}）：</translation>
    </message>
    <message>
        <source>{v0:,.3g} days per second</source>
        <translation>每秒 {v0:,.3g} 天</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <source>Simulated time per real second while playing</source>
        <translation>播放时每真实秒对应的模拟时间</translation>
    </message>
    <message>
        <source>How far the step buttons and Left/Right move</source>
        <translation>步进按钮和左/右方向键每次移动的时长</translation>
    </message>
    <message>
        <source>Winter solstice (冬至)</source>
        <translation>冬至</translation>
    </message>
    <message>
        <source>Great Cold (大寒)</source>
        <translation>大寒</translation>
    </message>
    <message>
        <source>The clock's date</source>
        <translation>时钟所示日期</translation>
    </message>
    <message>
        <source>&amp;Sunlight hours…</source>
        <translation>日照时数(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Line of sight (pick two points)</source>
        <translation>通视分析(&amp;L)（选取两点）</translation>
    </message>
    <message>
        <source>&amp;Viewshed (pick the observer)…</source>
        <translation>视域分析(&amp;V)（选取观察点）…</translation>
    </message>
    <message>
        <source>E&amp;xport sunlight or viewshed layer…</source>
        <translation>导出日照或视域图层(&amp;X)…</translation>
    </message>
    <message>
        <source>S&amp;hadows (sun follows the clock)</source>
        <translation>阴影(&amp;H)（太阳随时钟变化）</translation>
    </message>
    <message>
        <source>Light from the sun at the clock's time and place; ground and roofs in shadow darkened</source>
        <translation>按时钟所示时间和地点的太阳光照明；处于阴影中的地面和屋顶变暗</translation>
    </message>
    <message>
        <source>Shadows at {time}: {sun}</source>
        <translation>{time} 的阴影：{sun}</translation>
    </message>
    <message>
        <source>Sunlight hours</source>
        <translation>日照时数</translation>
    </message>
    <message>
        <source>True solar time (GB 50180)</source>
        <translation>真太阳时（GB 50180）</translation>
    </message>
    <message>
        <source>Clock time ({zone})</source>
        <translation>时钟时间（{zone}）</translation>
    </message>
    <message>
        <source>Sun positions every this many minutes</source>
        <translation>每隔多少分钟计算一次太阳位置</translation>
    </message>
    <message>
        <source>Ground grid cell and facade sample spacing</source>
        <translation>地面网格单元尺寸及立面采样间距</translation>
    </message>
    <message>
        <source>Facades with less direct sun than this are highlighted</source>
        <translation>直射日照少于此值的立面将高亮显示</translation>
    </message>
    <message>
        <source>Ground and roofs</source>
        <translation>地面和屋顶</translation>
    </message>
    <message>
        <source>Facades</source>
        <translation>立面</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Year</source>
        <translation>年份</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>时段</translation>
    </message>
    <message>
        <source>Window in</source>
        <translation>时段计时</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步长</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Minimum</source>
        <translation>最低要求</translation>
    </message>
    <message>
        <source>Surfaces</source>
        <translation>计算表面</translation>
    </message>
    <message>
        <source>Sunlight hours {day}</source>
        <translation>日照时数 {day}</translation>
    </message>
    <message>
        <source>Casting rays towards the sun…</source>
        <translation>正在向太阳方向投射光线…</translation>
    </message>
    <message>
        <source>Sunlight %p%</source>
        <translation>日照 %p%</translation>
    </message>
    <message>
        <source>Sunlight hours ({steps} steps, {window:g} h window): </source>
        <translation>日照时数（{steps} 个时刻，时段 {window:g} h）：</translation>
    </message>
    <message>
        <source>ground {low:g}–{high:g} h; </source>
        <translation>地面 {low:g}–{high:g} h；</translation>
    </message>
    <message>
        <source>{below:,} of {points:,} facade points under {hours:g} h; </source>
        <translation>{points:,} 个立面采样点中有 {below:,} 个不足 {hours:g} h；</translation>
    </message>
    <message>
        <source>{rays:,} rays in {seconds:.1f} s</source>
        <translation>{rays:,} 条光线，用时 {seconds:.1f} s</translation>
    </message>
    <message>
        <source>not enough memory: use a coarser grid or a smaller area</source>
        <translation>内存不足：请使用更粗的网格或更小的范围</translation>
    </message>
    <message>
        <source>internal error: {kind}: {exc}</source>
        <translation>内部错误：{kind}：{exc}</translation>
    </message>
    <message>
        <source>Select a sunlight-hours or viewshed layer in the Layers dock first.</source>
        <translation>请先在“图层”面板中选择一个日照时数或视域图层。</translation>
    </message>
    <message>
        <source>GeoTIFF, ground grid</source>
        <translation>GeoTIFF，地面网格</translation>
    </message>
    <message>
        <source>Export result</source>
        <translation>导出结果</translation>
    </message>
    <message>
        <source>Export failed: {exc}</source>
        <translation>导出失败：{exc}</translation>
    </message>
    <message>
        <source>Exported {name} to {path}</source>
        <translation>已将 {name} 导出到 {path}</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>分钟</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>小时</translation>
    </message>
    <message>
        <source>day</source>
        <translation>天</translation>
    </message>
    <message>
        <source>week</source>
        <translation>周</translation>
    </message>
    <message>
        <source>month</source>
        <translation>月</translation>
    </message>
    <message>
        <source>year</source>
        <translation>年</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>&amp;Play</source>
        <translation>播放(&amp;P)</translation>
    </message>
    <message>
        <source>Play or pause the scene clock</source>
        <translation>播放或暂停场景时钟</translation>
    </message>
    <message>
        <source>Step &amp;Back</source>
        <translation>后退一步(&amp;B)</translation>
    </message>
    <message>
        <source>One step back</source>
        <translation>后退一步</translation>
    </message>
    <message>
        <source>Step &amp;Forward</source>
        <translation>前进一步(&amp;F)</translation>
    </message>
    <message>
        <source>One step forward</source>
        <translation>前进一步</translation>
    </message>
    <message>
        <source>Go to &amp;Start</source>
        <translation>转到开始(&amp;S)</translation>
    </message>
    <message>
        <source>The start of the range</source>
        <translation>时间范围的开始</translation>
    </message>
    <message>
        <source>Go to &amp;End</source>
        <translation>转到结束(&amp;E)</translation>
    </message>
    <message>
        <source>The end of the range</source>
        <translation>时间范围的结束</translation>
    </message>
    <message>
        <source>{tip} ({keys}, while the timeline has the focus)</source>
        <translation>{tip}（{keys}，时间轴获得焦点时）</translation>
    </message>
    <message>
        <source>Set &amp;Time…</source>
        <translation>设置时间(&amp;T)…</translation>
    </message>
    <message>
        <source>Type a date and time</source>
        <translation>输入日期和时间</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Schedule status at {time}</source>
        <translation>{time} 的进度状态</translation>
    </message>
    <message>
        <source>Schedule status</source>
        <translation>进度状态</translation>
    </message>
    <message>
        <source>built</source>
        <translation>已建成</translation>
    </message>
    <message>
        <source>partial</source>
        <translation>部分建成</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>deviating</source>
        <translation>有偏差</translation>
    </message>
    <message>
        <source>not judged</source>
        <translation>未判定</translation>
    </message>
    <message>
        <source>ahead</source>
        <translation>提前</translation>
    </message>
    <message>
        <source>on time</source>
        <translation>按期</translation>
    </message>
    <message>
        <source>behind</source>
        <translation>滞后</translation>
    </message>
    <message>
        <source>not planned / not linked</source>
        <translation>无计划 / 未关联</translation>
    </message>
    <message>
        <source>Never classified</source>
        <translation>从未分类</translation>
    </message>
    <message>
        <source>Unclassified</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>Ground</source>
        <translation>地面</translation>
    </message>
    <message>
        <source>Low vegetation</source>
        <translation>低矮植被</translation>
    </message>
    <message>
        <source>Medium vegetation</source>
        <translation>中等植被</translation>
    </message>
    <message>
        <source>High vegetation</source>
        <translation>高植被</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>Height (m)</source>
        <translation>高度（m）</translation>
    </message>
    <message>
        <source>Limit (m)</source>
        <translation>限高（m）</translation>
    </message>
    <message>
        <source>Excess (m)</source>
        <translation>超出（m）</translation>
    </message>
    <message>
        <source>Zone</source>
        <translation>分区</translation>
    </message>
    <message>
        <source>{layer}: {tiles} tiles are too many to read at once; open a smaller tileset</source>
        <translation>{layer}：{tiles} 个瓦片过多，无法一次读取；请打开较小的瓦片集</translation>
    </message>
    <message>
        <source>Height limits</source>
        <translation>限高分析</translation>
    </message>
    <message>
        <source>Everywhere</source>
        <translation>全域</translation>
    </message>
    <message>
        <source> m above ground</source>
        <translation> m（离地）</translation>
    </message>
    <message>
        <source>Zones (GeoJSON polygons with max_height)</source>
        <translation>分区（含 max_height 的 GeoJSON 多边形）</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>A zone drawn in the view</source>
        <translation>在视图中绘制的分区</translation>
    </message>
    <message>
        <source>Draw…</source>
        <translation>绘制…</translation>
    </message>
    <message>
        <source>Click the zone's corners in the view, then press Enter (Escape cancels)</source>
        <translation>在视图中单击分区的各个角点，然后按 Enter（Esc 取消）</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>限高</translation>
    </message>
    <message>
        <source>Click the zone's corners in the view; Enter closes it, Escape cancels</source>
        <translation>在视图中单击分区的各个角点；Enter 闭合，Esc 取消</translation>
    </message>
    <message>
        <source>No zone drawn (a zone needs three corners or more)</source>
        <translation>未绘制分区（分区至少需要三个角点）</translation>
    </message>
    <message>
        <source>Zone drawn: {corners} corners, {area} m2</source>
        <translation>已绘制分区：{corners} 个角点，{area} m²</translation>
    </message>
    <message>
        <source>Height limit zones</source>
        <translation>限高分区</translation>
    </message>
    <message>
        <source>GeoJSON (*.geojson *.json);;All files (*)</source>
        <translation>GeoJSON (*.geojson *.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>everywhere</source>
        <translation>全域</translation>
    </message>
    <message>
        <source>draw the zone first: Draw..., click its corners in the view, Enter</source>
        <translation>请先绘制分区：绘制...，在视图中单击其角点，按 Enter</translation>
    </message>
    <message>
        <source>drawn zone</source>
        <translation>绘制的分区</translation>
    </message>
    <message>
        <source>the scene is not georeferenced: zones on the map cannot be placed</source>
        <translation>场景没有地理参考：无法放置地图上的分区</translation>
    </message>
    <message>
        <source>{breaches} of {count} buildings above their limit</source>
        <translation>{count} 栋建筑中有 {breaches} 栋超出限高</translation>
    </message>
    <message>
        <source>No buildings to check: open a city model, a merged tileset, meshes or an IFC model</source>
        <translation>没有可检查的建筑：请打开城市模型、合并的瓦片集、网格或 IFC 模型</translation>
    </message>
    <message>
        <source>Export height-limit breaches</source>
        <translation>导出超限建筑</translation>
    </message>
    <message>
        <source>⚠ cannot write {path}: {error}</source>
        <translation>⚠ 无法写入 {path}：{error}</translation>
    </message>
    <message>
        <source>Low point (noise)</source>
        <translation>低点（噪声）</translation>
    </message>
    <message>
        <source>Model key-point</source>
        <translation>模型关键点</translation>
    </message>
    <message>
        <source>Water</source>
        <translation>水体</translation>
    </message>
    <message>
        <source>Rail</source>
        <translation>铁路</translation>
    </message>
    <message>
        <source>Road surface</source>
        <translation>路面</translation>
    </message>
    <message>
        <source>Overlap</source>
        <translation>重叠</translation>
    </message>
    <message>
        <source>Wire guard</source>
        <translation>电线护线</translation>
    </message>
    <message>
        <source>Wire conductor</source>
        <translation>导线</translation>
    </message>
    <message>
        <source>Transmission tower</source>
        <translation>输电塔</translation>
    </message>
    <message>
        <source>Wire connector</source>
        <translation>电线连接器</translation>
    </message>
    <message>
        <source>Bridge deck</source>
        <translation>桥面</translation>
    </message>
    <message>
        <source>High noise</source>
        <translation>高噪声</translation>
    </message>
    <message>
        <source>User defined</source>
        <translation>用户定义</translation>
    </message>
    <message>
        <source>Height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>Elevation ({datum})</source>
        <translation>高程（{datum}）</translation>
    </message>
    <message>
        <source>Deviation (m)</source>
        <translation>偏差（m）</translation>
    </message>
    <message>
        <source>white: ±{tol:g} m   grey: far &gt; {far:g} m</source>
        <translation>白色：±{tol:g} m   灰色：远点 &gt; {far:g} m</translation>
    </message>
    <message>
        <source>Demo district (Wuhan, CGCS2000)</source>
        <translation>示范片区（武汉，CGCS2000）</translation>
    </message>
    <message>
        <source>District (3D Tiles)</source>
        <translation>片区（3D Tiles）</translation>
    </message>
    <message>
        <source>Block C design (IFC)</source>
        <translation>C 地块设计（IFC）</translation>
    </message>
    <message>
        <source>Site scan (LAZ)</source>
        <translation>工地扫描（LAZ）</translation>
    </message>
    <message>
        <source>Block C: scan vs design</source>
        <translation>C 地块：扫描与设计比对</translation>
    </message>
    <message>
        <source>Ground DEM (2 m, for Flood...)</source>
        <translation>地面 DEM（2 m，用于淹没分析...）</translation>
    </message>
    <message>
        <source>Flood depth (rain event, 09:00-15:00)</source>
        <translation>淹没深度（降雨过程，09:00-15:00）</translation>
    </message>
    <message>
        <source>Air quality (live)</source>
        <translation>空气质量（实时）</translation>
    </message>
    <message>
        <source>Traffic (live)</source>
        <translation>交通流量（实时）</translation>
    </message>
    <message>
        <source>Parking (live)</source>
        <translation>停车（实时）</translation>
    </message>
    <message>
        <source>Site crane and vehicles (live)</source>
        <translation>工地塔吊与车辆（实时）</translation>
    </message>
    <message>
        <source>Sunlight hours, Block C site (winter solstice)</source>
        <translation>日照时数，C 地块工地（冬至）</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>总览</translation>
    </message>
    <message>
        <source>Construction site</source>
        <translation>施工现场</translation>
    </message>
    <message>
        <source>Scan vs design</source>
        <translation>扫描与设计比对</translation>
    </message>
    <message>
        <source>Flood analysis</source>
        <translation>淹没分析</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>俯视</translation>
    </message>
    <message>
        <source>The twin's story</source>
        <translation>孪生城市的故事</translation>
    </message>
    <message>
        <source>Autosave</source>
        <translation>自动保存</translation>
    </message>
    <message>
        <source>Autosave every (minutes, 0 = off):</source>
        <translation>自动保存间隔（分钟，0 = 关闭）：</translation>
    </message>
    <message>
        <source>Autosave failed: {reason}</source>
        <translation>自动保存失败：{reason}</translation>
    </message>
    <message>
        <source>Twinscape did not close normally. Recover the autosaved copy of
{what}?</source>
        <translation>Twinscape 上次未正常关闭。是否恢复以下项目的自动保存副本：
{what}？</translation>
    </message>
    <message>
        <source>{n} older recovery file(s) will be offered next time.</source>
        <translation>另有 {n} 个较早的恢复文件，将在下次启动时提供。</translation>
    </message>
    <message>
        <source>Recover unsaved work</source>
        <translation>恢复未保存的工作</translation>
    </message>
    <message>
        <source>Recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
    <message>
        <source>an untitled project</source>
        <translation>未命名项目</translation>
    </message>
    <message>
        <source>{name} ({where}), autosaved {when}</source>
        <translation>{name}（{where}），自动保存于 {when}</translation>
    </message>
    <message>
        <source>Recovered {name}: save it to keep the changes</source>
        <translation>已恢复 {name}：请保存以保留这些更改</translation>
    </message>
    <message>
        <source>Auto&amp;save interval…</source>
        <translation>自动保存间隔(&amp;S)…</translation>
    </message>
    <message>
        <source>How often unsaved changes are copied to a recovery file (0 = off)</source>
        <translation>未保存的更改多久复制一次到恢复文件（0 = 关闭）</translation>
    </message>
    <message>
        <source>Bookmarks and tours</source>
        <translation>书签与导览</translation>
    </message>
    <message>
        <source>Name for the current view</source>
        <translation>当前视图的名称</translation>
    </message>
    <message>
        <source>Add view</source>
        <translation>添加视图</translation>
    </message>
    <message>
        <source>Save the current view as a bookmark (with a thumbnail)</source>
        <translation>将当前视图保存为书签（含缩略图）</translation>
    </message>
    <message>
        <source>Fly to</source>
        <translation>飞往</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>上移</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>下移</translation>
    </message>
    <message>
        <source>Bookmarks</source>
        <translation>书签</translation>
    </message>
    <message>
        <source>Tours</source>
        <translation>导览</translation>
    </message>
    <message>
        <source>Name for the current view, e.g. {name}</source>
        <translation>当前视图的名称，例如 {name}</translation>
    </message>
    <message>
        <source>View 1</source>
        <translation>视图 1</translation>
    </message>
    <message>
        <source>deleted '{name}'; tour {tours} will skip that stop</source>
        <translation>已删除“{name}”；导览 {tours} 将跳过该站点</translation>
    </message>
    <message>
        <source>&amp;Bookmarks and tours</source>
        <translation>书签与导览(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Add bookmark (current view)</source>
        <translation>添加书签（当前视图）(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Next bookmark</source>
        <translation>下一个书签(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Previous bookmark</source>
        <translation>上一个书签(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Play tour</source>
        <translation>播放导览(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Stop tour</source>
        <translation>停止导览(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Export tour as video…</source>
        <translation>将导览导出为视频(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Briefing mode</source>
        <translation>简报模式(&amp;B)</translation>
    </message>
    <message>
        <source>Full screen for an audience: large fonts, no docks, PageDown steps the tour, errors go to a small indicator (Esc leaves)</source>
        <translation>面向观众的全屏：大字体、无停靠窗口，PageDown 逐站播放导览，错误进入一个小指示器（Esc 退出）</translation>
    </message>
    <message>
        <source>Leave briefing mode</source>
        <translation>退出简报模式</translation>
    </message>
    <message>
        <source>Next stop</source>
        <translation>下一站</translation>
    </message>
    <message>
        <source>Previous stop</source>
        <translation>上一站</translation>
    </message>
    <message>
        <source>Briefing &amp;keys</source>
        <translation>汇报按键(&amp;K)</translation>
    </message>
    <message>
        <source>{n} problem(s) during the briefing: {last}</source>
        <translation>简报期间出现 {n} 个问题：{last}</translation>
    </message>
    <message>
        <source>{tour} · 1 stop</source>
        <translation>{tour} · 1 站</translation>
    </message>
    <message>
        <source>{tour} · {n} stops</source>
        <translation>{tour} · {n} 站</translation>
    </message>
    <message>
        <source>PageDown or → to begin  ·  Esc to leave</source>
        <translation>按 PageDown 或 → 开始  ·  Esc 退出</translation>
    </message>
    <message>
        <source>{n} problem(s) during the briefing</source>
        <translation>简报期间出现 {n} 个问题</translation>
    </message>
    <message>
        <source>({n} older not listed)</source>
        <translation>（另有 {n} 个较早的未列出）</translation>
    </message>
    <message>
        <source>Choose a scan: no point cloud layer is open.</source>
        <translation>请选择扫描：没有打开的点云图层。</translation>
    </message>
    <message>
        <source>Choose at least one BIM layer to compare the scan with.</source>
        <translation>请至少选择一个 BIM 图层与扫描比对。</translation>
    </message>
    <message>
        <source>The tolerance must be more than 0 m (it is {tolerance:g} m).</source>
        <translation>容差必须大于 0 m（当前为 {tolerance:g} m）。</translation>
    </message>
    <message>
        <source>The far cut-off ({max_distance:g} m) must be beyond the tolerance ({tolerance:g} m).</source>
        <translation>远点阈值（{max_distance:g} m）必须大于容差（{tolerance:g} m）。</translation>
    </message>
    <message>
        <source>A comparison is already running; wait for it or cancel it.</source>
        <translation>已有比对正在运行；请等待其完成或取消。</translation>
    </message>
    <message>
        <source>The comparison engine is not available here ({exc}).</source>
        <translation>此处无法使用比对引擎（{exc}）。</translation>
    </message>
    <message>
        <source>Comparing {v0}</source>
        <translation>正在比对 {v0}</translation>
    </message>
    <message>
        <source>Comparing %p%</source>
        <translation>比对 %p%</translation>
    </message>
    <message>
        <source>Comparing {v0} with {v1}…</source>
        <translation>正在将 {v0} 与 {v1} 比对…</translation>
    </message>
    <message>
        <source>Comparison cancelled</source>
        <translation>比对已取消</translation>
    </message>
    <message>
        <source>not computed (cancelled or failed): Analysis › Compare scan with design…</source>
        <translation>未计算（已取消或失败）：分析 › 扫描与设计比对…</translation>
    </message>
    <message>
        <source>The comparison was removed while it ran: its result is dropped</source>
        <translation>比对在运行时被移除：其结果已丢弃</translation>
    </message>
    <message>
        <source>Compared: </source>
        <translation>比对完成：</translation>
    </message>
    <message>
        <source>Could not compare</source>
        <translation>无法比对</translation>
    </message>
    <message>
        <source>not computed: its scan or design layers are not open</source>
        <translation>未计算：其扫描或设计图层未打开</translation>
    </message>
    <message>
        <source>not computed: {error}</source>
        <translation>未计算：{error}</translation>
    </message>
    <message>
        <source>No comparison to export yet: run Analysis › Compare scan with design… first.</source>
        <translation>尚无可导出的比对：请先运行 分析 › 扫描与设计比对…。</translation>
    </message>
    <message>
        <source>Export comparison report</source>
        <translation>导出比对报告</translation>
    </message>
    <message>
        <source>Report written to {path}</source>
        <translation>报告已写入 {path}</translation>
    </message>
    <message>
        <source>report without pictures: {exc}</source>
        <translation>报告未含图片：{exc}</translation>
    </message>
    <message>
        <source>Sensor id</source>
        <translation>传感器编号</translation>
    </message>
    <message>
        <source>Timestamp</source>
        <translation>时间戳</translation>
    </message>
    <message>
        <source>Kind (sensor/mover)</source>
        <translation>类别（固定/移动）</translation>
    </message>
    <message>
        <source>Longitude</source>
        <translation>经度</translation>
    </message>
    <message>
        <source>Latitude</source>
        <translation>纬度</translation>
    </message>
    <message>
        <source>Values object</source>
        <translation>数值对象</translation>
    </message>
    <message>
        <source>Units object</source>
        <translation>单位对象</translation>
    </message>
    <message>
        <source>mqtt://host:1883/city/#, mqtts://host:8883/site/#, sta+http://host:8080/v1.1, a .jsonl recording, sim://demo</source>
        <translation>mqtt://host:1883/city/#、mqtts://host:8883/site/#、sta+http://host:8080/v1.1、.jsonl 录制文件、sim://demo</translation>
    </message>
    <message>
        <source>Log in to feed</source>
        <translation>登录数据源</translation>
    </message>
    <message>
        <source>Add live feed</source>
        <translation>添加实时数据源</translation>
    </message>
    <message>
        <source>Layer name</source>
        <translation>图层名称</translation>
    </message>
    <message>
        <source>all sensor types (or e.g. air, traffic)</source>
        <translation>所有传感器类型（或如 air, traffic）</translation>
    </message>
    <message>
        <source>Message mapping (JSON paths)</source>
        <translation>消息映射（JSON 路径）</translation>
    </message>
    <message>
        <source>e.g. plate, person_id, phone</source>
        <translation>如 plate, person_id, phone</translation>
    </message>
    <message>
        <source>Fields that identify a person: never stored, shown or saved in clear</source>
        <translation>可识别个人身份的字段：绝不以明文存储、显示或保存</translation>
    </message>
    <message>
        <source>replaced by a salted hash</source>
        <translation>替换为加盐哈希</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Personal fields</source>
        <translation>个人信息字段</translation>
    </message>
    <message>
        <source>Personal values are</source>
        <translation>个人信息值</translation>
    </message>
    <message>
        <source>Login (optional)</source>
        <translation>登录（可选）</translation>
    </message>
    <message>
        <source>Remember in the system keyring</source>
        <translation>保存在系统密钥环中</translation>
    </message>
    <message>
        <source>Never in the project file; without a working keyring it is asked again next time</source>
        <translation>绝不写入项目文件；没有可用的密钥环时，下次会再次询问</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Sensor types</source>
        <translation>传感器类型</translation>
    </message>
    <message>
        <source>a feed URL is needed ({examples})</source>
        <translation>需要数据源 URL（{examples}）</translation>
    </message>
    <message>
        <source>not a feed URL: {url} (use {examples})</source>
        <translation>不是数据源 URL：{url}（请使用 {examples}）</translation>
    </message>
    <message>
        <source>No working keyring here: the login is kept for this session only.</source>
        <translation>此处没有可用的密钥环：登录信息仅在本次会话中保留。</translation>
    </message>
    <message>
        <source>&amp;Planning</source>
        <translation>规划(&amp;P)</translation>
    </message>
    <message>
        <source>local</source>
        <translation>局部</translation>
    </message>
    <message>
        <source>ellipsoidal</source>
        <translation>椭球高</translation>
    </message>
    <message>
        <source>&amp;Flood…</source>
        <translation>淹没分析(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Height limits…</source>
        <translation>限高分析(&amp;H)…</translation>
    </message>
    <message>
        <source>line {number}: expected a time and a level, e.g. 09:30 19.4</source>
        <translation>第 {number} 行：应为一个时间和一个水位，例如 09:30 19.4</translation>
    </message>
    <message>
        <source>line {number}: '{line}' is not a time and a level</source>
        <translation>第 {number} 行：“{line}”不是时间和水位</translation>
    </message>
    <message>
        <source>two levels at the same time</source>
        <translation>同一时间有两个水位</translation>
    </message>
    <message>
        <source>Flood</source>
        <translation>淹没分析</translation>
    </message>
    <message>
        <source>Level over time (optional), one per line on the clock's day:
09:00 19.0
11:30 19.6
15:00 19.0</source>
        <translation>随时间变化的水位（可选），按时钟当天每行一个：
09:00 19.0
11:30 19.6
15:00 19.0</translation>
    </message>
    <message>
        <source>Only water connected to</source>
        <translation>仅限连通到此点的水体</translation>
    </message>
    <message>
        <source>E </source>
        <translation>东 </translation>
    </message>
    <message>
        <source>N </source>
        <translation>北 </translation>
    </message>
    <message>
        <source>Terrain</source>
        <translation>地形</translation>
    </message>
    <message>
        <source>Water level ({datum})</source>
        <translation>水位（{datum}）</translation>
    </message>
    <message>
        <source>Level over time</source>
        <translation>水位过程</translation>
    </message>
    <message>
        <source>Seed (scene)</source>
        <translation>起淹点（场景）</translation>
    </message>
    <message>
        <source>Grid cell</source>
        <translation>网格单元</translation>
    </message>
    <message>
        <source>Open a terrain first: a DEM (GeoTIFF), a terrain mesh or a point cloud with ground points.</source>
        <translation>请先打开地形：DEM（GeoTIFF）、地形网格或含地面点的点云。</translation>
    </message>
    <message>
        <source>no terrain layer</source>
        <translation>没有地形图层</translation>
    </message>
    <message>
        <source>Flood {level} m</source>
        <translation>淹没 {level} m</translation>
    </message>
    <message>
        <source>Flood {low}-{high} m</source>
        <translation>淹没 {low}-{high} m</translation>
    </message>
    <message>
        <source>internal error: {kind}: {error}</source>
        <translation>内部错误：{kind}：{error}</translation>
    </message>
    <message>
        <source>Cancelled {task}</source>
        <translation>已取消 {task}</translation>
    </message>
    <message>
        <source>{task}: {area} m2 flooded, {volume} m3 at the peak; {buildings} building(s) reached</source>
        <translation>{task}：峰值时淹没面积 {area} m²、水量 {volume} m³；波及 {buildings} 栋建筑</translation>
    </message>
    <message>
        <source>Twinscape</source>
        <translation>Twinscape</translation>
    </message>
    <message>
        <source>frame – ms</source>
        <translation>帧 – ms</translation>
    </message>
    <message>
        <source>0 points, 0 triangles</source>
        <translation>0 个点，0 个三角形</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Zoom to &amp;all</source>
        <translation>缩放至全部(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Top view</source>
        <translation>俯视图(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Eye-dome lighting</source>
        <translation>眼罩光照 EDL(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Statistics overlay</source>
        <translation>统计信息叠加(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Bookmarks</source>
        <translation>书签(&amp;B)</translation>
    </message>
    <message>
        <source>Open data</source>
        <translation>打开数据</translation>
    </message>
    <message>
        <source>Twinscape data ({exts});;All files (*)</source>
        <translation>Twinscape 数据 ({exts});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open URL</source>
        <translation>打开 URL</translation>
    </message>
    <message>
        <source>Tileset or file URL (http or https):</source>
        <translation>瓦片集或文件的 URL（http 或 https）：</translation>
    </message>
    <message>
        <source>{label} %p%</source>
        <translation>{label} %p%</translation>
    </message>
    <message>
        <source>Re-link {v0} layer(s)</source>
        <translation>重新关联 {v0} 个图层</translation>
    </message>
    <message>
        <source>Cancelled loading {v0}</source>
        <translation>已取消加载 {v0}</translation>
    </message>
    <message>
        <source>Could not open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <source>{v0:,} points, {v1:,} triangles</source>
        <translation>{v0:,} 个点，{v1:,} 个三角形</translation>
    </message>
    <message>
        <source>point budget {v0:,} per frame (View &gt; Point budget)</source>
        <translation>点数预算每帧 {v0:,}（视图 &gt; 点数预算）</translation>
    </message>
    <message>
        <source>, {v0} tiles ({v1} loaded</source>
        <translation>，{v0} 个瓦片（已加载 {v1}</translation>
    </message>
    <message>
        <source>tiles visited {v0}, culled {v1}, geometry {v2:.1f} MiB, evicted {v3}</source>
        <translation>访问瓦片 {v0}，剔除 {v1}，几何 {v2:.1f} MiB，淘汰 {v3}</translation>
    </message>
    <message>
        <source>frame {v0:.0f} ms</source>
        <translation>帧 {v0:.0f} ms</translation>
    </message>
    <message>
        <source>Height above ground</source>
        <translation>离地高度</translation>
    </message>
    <message>
        <source>Polyline length</source>
        <translation>折线长度</translation>
    </message>
    <message>
        <source>Polygon area</source>
        <translation>多边形面积</translation>
    </message>
    <message>
        <source>Point coordinates</source>
        <translation>点坐标</translation>
    </message>
    <message>
        <source>Add label</source>
        <translation>添加标注</translation>
    </message>
    <message>
        <source>click two points</source>
        <translation>点击两个点</translation>
    </message>
    <message>
        <source>click a point (a roof, a crane's tip)</source>
        <translation>点击一个点（屋顶、塔吊顶端）</translation>
    </message>
    <message>
        <source>click points; Enter or double-click finishes</source>
        <translation>依次点击各点；按 Enter 或双击结束</translation>
    </message>
    <message>
        <source>click corners; Enter or double-click finishes</source>
        <translation>依次点击各角点；按 Enter 或双击结束</translation>
    </message>
    <message>
        <source>click a point, the vertex, another point</source>
        <translation>依次点击一点、顶点、另一点</translation>
    </message>
    <message>
        <source>click a point</source>
        <translation>点击一个点</translation>
    </message>
    <message>
        <source>click where the label goes</source>
        <translation>点击标注的位置</translation>
    </message>
    <message>
        <source>{tool}: {hint}; Esc cancels</source>
        <translation>{tool}：{hint}；按 Esc 取消</translation>
    </message>
    <message>
        <source>{tool}: nothing under the cursor; {hint}</source>
        <translation>{tool}：光标下没有对象；{hint}</translation>
    </message>
    <message>
        <source>Height above ground: no ground found under that point</source>
        <translation>离地高度：该点下方未找到地面</translation>
    </message>
    <message>
        <source>Label text:</source>
        <translation>标注文字：</translation>
    </message>
    <message>
        <source>⚠ {text}</source>
        <translation>⚠ {text}</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>▲ Fold the older notices</source>
        <translation>▲ 收起较早的通知</translation>
    </message>
    <message>
        <source>▼ {folded} more notices (click to show)</source>
        <translation>▼ 另有 {folded} 条通知（单击显示）</translation>
    </message>
    <message>
        <source>▼ 1 more notice (click to show)</source>
        <translation>▼ 另有 1 条通知（单击显示）</translation>
    </message>
    <message>
        <source>{v0} has no georeference: placed with {first} (same local coordinates)</source>
        <translation>{v0} 没有地理参考：已与 {first} 一起放置（相同的局部坐标）</translation>
    </message>
    <message>
        <source>{v0} has no georeference: placed at the view centre</source>
        <translation>{v0} 没有地理参考：已放在视图中心</translation>
    </message>
    <message>
        <source> (Place… to put it where it belongs)</source>
        <translation>（用“放置…”把它放到正确位置）</translation>
    </message>
    <message>
        <source>Move origin here</source>
        <translation>将原点移到此处</translation>
    </message>
    <message>
        <source>{v0} has no extent yet: the scene origin stays</source>
        <translation>{v0} 尚无范围：场景原点保持不变</translation>
    </message>
    <message>
        <source>Scene origin moved to {v0} ({v1:.5f}°, {v2:.5f}°)</source>
        <translation>场景原点已移到 {v0}（{v1:.5f}°，{v2:.5f}°）</translation>
    </message>
    <message>
        <source>; {n} layers now far away ({names})</source>
        <translation>；{n} 个图层现在距离很远（{names}）</translation>
    </message>
    <message>
        <source>; {n} layer now far away ({names})</source>
        <translation>；{n} 个图层现在距离很远（{names}）</translation>
    </message>
    <message>
        <source>Notices</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>Scene &amp;origin</source>
        <translation>场景原点(&amp;O)</translation>
    </message>
    <message>
        <source>Choose a layer in the Layers dock first</source>
        <translation>请先在图层面板中选择一个图层</translation>
    </message>
    <message>
        <source>Move to &amp;this layer</source>
        <translation>移到此图层(&amp;T)</translation>
    </message>
    <message>
        <source>Re-place every layer around the current layer (for data far from the others)</source>
        <translation>以当前图层为中心重新放置所有图层（用于远离其他数据的数据）</translation>
    </message>
    <message>
        <source>Move to &amp;layer</source>
        <translation>移到图层(&amp;L)</translation>
    </message>
    <message>
        <source>Twinscape project (*.twin)</source>
        <translation>Twinscape 项目 (*.twin)</translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation>未命名</translation>
    </message>
    <message>
        <source>the untitled project</source>
        <translation>未命名项目</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>Save the changes to {name} before closing it?</source>
        <translation>关闭前是否保存对 {name} 的更改？</translation>
    </message>
    <message>
        <source>Save project</source>
        <translation>保存项目</translation>
    </message>
    <message>
        <source>Could not save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>{v0}: {v1}</source>
        <translation>{v0}: {v1}</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>{v0}[*] — Twinscape</source>
        <translation>{v0}[*] — Twinscape</translation>
    </message>
    <message>
        <source>Surface</source>
        <translation>表面</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>点</translation>
    </message>
    <message>
        <source>Iso-surface</source>
        <translation>等值面</translation>
    </message>
    <message>
        <source>Contours</source>
        <translation>等值线</translation>
    </message>
    <message>
        <source>Slice</source>
        <translation>切片</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save this result as GeoTIFF (rasters), CSV (values at points, at the clock's time) or VTK</source>
        <translation>将此结果保存为 GeoTIFF（栅格）、CSV（各点在时钟时间的值）或 VTK</translation>
    </message>
    <message>
        <source>Colour map</source>
        <translation>色带</translation>
    </message>
    <message>
        <source>Display</source>
        <translation>显示方式</translation>
    </message>
    <message>
        <source>Iso value</source>
        <translation>等值</translation>
    </message>
    <message>
        <source>Height by</source>
        <translation>高度依据</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>(flat)</source>
        <translation>（平面）</translation>
    </message>
    <message>
        <source>one state</source>
        <translation>单一状态</translation>
    </message>
    <message>
        <source>Export {layer}</source>
        <translation>导出 {layer}</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Export image</source>
        <translation>导出图像</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>No title</source>
        <translation>无标题</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Legends</source>
        <translation>图例</translation>
    </message>
    <message>
        <source>North arrow</source>
        <translation>指北针</translation>
    </message>
    <message>
        <source>Scale bar</source>
        <translation>比例尺</translation>
    </message>
    <message>
        <source>Date: {time}</source>
        <translation>日期：{time}</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Could not export: {reason}</source>
        <translation>无法导出：{reason}</translation>
    </message>
    <message>
        <source>Exported {w:,} x {h:,} px to {path}</source>
        <translation>已导出 {w:,} x {h:,} 像素到 {path}</translation>
    </message>
    <message>
        <source>&amp;Export image…</source>
        <translation>导出图像(&amp;E)…</translation>
    </message>
    <message>
        <source>Save the view as a PNG at 2-4x the window's size, with title, legends and date</source>
        <translation>将视图保存为窗口尺寸 2-4 倍的 PNG，可带标题、图例和日期</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>实时(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Add feed…</source>
        <translation>添加数据源(&amp;A)…</translation>
    </message>
    <message>
        <source>Show a live sensor feed (MQTT, SensorThings, a recording, sim://demo) as a layer</source>
        <translation>将实时传感器数据源（MQTT、SensorThings、录制文件、sim://demo）显示为图层</translation>
    </message>
    <message>
        <source>&amp;Go live (clock to now)</source>
        <translation>回到实时(&amp;G)（时钟调到现在）</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>正在重新连接</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>The quantity that colours and sizes the glyphs (legend and labels follow)</source>
        <translation>决定符号颜色和大小的物理量（图例和标签随之变化）</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Size by value</source>
        <translation>按数值缩放</translation>
    </message>
    <message>
        <source>Movers as density</source>
        <translation>移动目标显示为密度</translation>
    </message>
    <message>
        <source>People and vehicles as counts per grid cell (at least the minimum count per cell), not as positions and tracks</source>
        <translation>行人和车辆按网格单元计数显示（每个单元不少于最小计数），不显示位置和轨迹</translation>
    </message>
    <message>
        <source>min </source>
        <translation>最少 </translation>
    </message>
    <message>
        <source>A sensor silent for longer is drawn grey</source>
        <translation>超过此时长无数据的传感器显示为灰色</translation>
    </message>
    <message>
        <source>Connect with login…</source>
        <translation>登录并连接…</translation>
    </message>
    <message>
        <source>Feed</source>
        <translation>数据源</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Stale after</source>
        <translation>失效时长</translation>
    </message>
    <message>
        <source>Warning at</source>
        <translation>预警阈值</translation>
    </message>
    <message>
        <source>Alert at</source>
        <translation>告警阈值</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>{state} — received {received:,}, malformed {malformed:,}, dropped {dropped:,}</source>
        <translation>{state} — 已接收 {received:,}，格式错误 {malformed:,}，已丢弃 {dropped:,}</translation>
    </message>
    <message>
        <source>, refused {n:,}</source>
        <translation>，被拒绝 {n:,}</translation>
    </message>
    <message>
        <source>Line of sight: click the observer's point, then the target (Esc cancels)</source>
        <translation>通视分析：先单击观察点，再单击目标点（Esc 取消）</translation>
    </message>
    <message>
        <source>Viewshed: click where the observer stands ({radius:g} m around, Esc cancels)</source>
        <translation>视域分析：单击观察者所在位置（周围 {radius:g} m，Esc 取消）</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Nothing under the cursor there: click on a building or the ground</source>
        <translation>光标处没有对象：请单击建筑或地面</translation>
    </message>
    <message>
        <source>Line of sight: now click the target</source>
        <translation>通视分析：现在单击目标点</translation>
    </message>
    <message>
        <source>Line of sight: {exc}</source>
        <translation>通视分析：{exc}</translation>
    </message>
    <message>
        <source>Line of sight: visible, {distance:.1f} m</source>
        <translation>通视分析：可见，距离 {distance:.1f} m</translation>
    </message>
    <message>
        <source>Line of sight: blocked {blocked:.1f} m from the eye (of {distance:.1f} m) at E {e:.1f} N {n:.1f} U {u:.1f} m</source>
        <translation>通视分析：在距视点 {blocked:.1f} m 处被遮挡（全长 {distance:.1f} m），遮挡点 E {e:.1f} N {n:.1f} U {u:.1f} m</translation>
    </message>
    <message>
        <source>Viewshed</source>
        <translation>视域</translation>
    </message>
    <message>
        <source>Viewshed %p%</source>
        <translation>视域 %p%</translation>
    </message>
    <message>
        <source>Viewshed: casting rays…</source>
        <translation>视域分析：正在投射光线…</translation>
    </message>
    <message>
        <source>Viewshed: {message}</source>
        <translation>视域分析：{message}</translation>
    </message>
    <message>
        <source>cancelled, nothing was added</source>
        <translation>已取消，未添加任何内容</translation>
    </message>
    <message>
        <source>Viewshed: {seen:,.0f} of {ground:,.0f} m² of ground and {facades:,} facade points seen within {radius:g} m</source>
        <translation>视域分析：{radius:g} m 范围内可见地面 {seen:,.0f} m²（共 {ground:,.0f} m²）及 {facades:,} 个立面采样点</translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation>书签</translation>
    </message>
    <message>
        <source>Pause (s)</source>
        <translation>停留（秒）</translation>
    </message>
    <message>
        <source>Flight (s)</source>
        <translation>飞行（秒）</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>时钟</translation>
    </message>
    <message>
        <source>Tour</source>
        <translation>导览</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Add current bookmark</source>
        <translation>添加当前书签</translation>
    </message>
    <message>
        <source>Remove stop</source>
        <translation>移除站点</translation>
    </message>
    <message>
        <source>Snapshot layers</source>
        <translation>记录图层状态</translation>
    </message>
    <message>
        <source>Use clock time</source>
        <translation>使用时钟时间</translation>
    </message>
    <message>
        <source>Clear both</source>
        <translation>全部清除</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>This stop shows the layers visible now and hides the others</source>
        <translation>此站点显示当前可见的图层并隐藏其他图层</translation>
    </message>
    <message>
        <source>This stop sets the scene clock to its current time</source>
        <translation>此站点将场景时钟设为其当前时间</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>{on} on, {off} off</source>
        <translation>{on} 显示，{off} 隐藏</translation>
    </message>
    <message>
        <source>on: {layer}</source>
        <translation>显示：{layer}</translation>
    </message>
    <message>
        <source>off: {layer}</source>
        <translation>隐藏：{layer}</translation>
    </message>
    <message>
        <source>no bookmark named {names}: skipped when played</source>
        <translation>没有名为 {names} 的书签：播放时跳过</translation>
    </message>
    <message>
        <source>Tour {n}</source>
        <translation>导览 {n}</translation>
    </message>
    <message>
        <source>Rename tour</source>
        <translation>重命名导览</translation>
    </message>
    <message>
        <source>Name of the tour:</source>
        <translation>导览名称：</translation>
    </message>
    <message>
        <source>a tour named '{name}' already exists</source>
        <translation>已存在名为“{name}”的导览</translation>
    </message>
    <message>
        <source>a tour needs a name</source>
        <translation>导览需要名称</translation>
    </message>
    <message>
        <source>select a bookmark in the Bookmarks tab first (or add the current view there)</source>
        <translation>请先在“书签”选项卡中选择一个书签（或在那里添加当前视图）</translation>
    </message>
    <message>
        <source>no tour yet: press New, then add bookmarks as stops</source>
        <translation>还没有导览：点击“新建”，然后将书签添加为站点</translation>
    </message>
    <message>
        <source>Export tour as video</source>
        <translation>将导览导出为视频</translation>
    </message>
    <message>
        <source>The project has no tour yet: make one in Present &gt; Bookmarks and tours.</source>
        <translation>项目还没有导览：请在“演示 &gt; 书签与导览”中创建。</translation>
    </message>
    <message>
        <source>The video is made from the saved project. Save the project now?</source>
        <translation>视频依据已保存的项目生成。现在保存项目吗？</translation>
    </message>
    <message>
        <source>MP4 video (*.mp4)</source>
        <translation>MP4 视频 (*.mp4)</translation>
    </message>
    <message>
        <source>A video is being exported already; wait for it to finish.</source>
        <translation>已有视频正在导出，请等待其完成。</translation>
    </message>
    <message>
        <source>Could not export the video</source>
        <translation>无法导出视频</translation>
    </message>
    <message>
        <source>Exporting tour '{tour}' to {file}…</source>
        <translation>正在将导览“{tour}”导出到 {file}…</translation>
    </message>
    <message>
        <source>Exporting {file}: {pct}% (frame {done} of {total})</source>
        <translation>正在导出 {file}：{pct}%（第 {done} 帧，共 {total} 帧）</translation>
    </message>
    <message>
        <source>Exported {file}</source>
        <translation>已导出 {file}</translation>
    </message>
    <message>
        <source>the export stopped (exit code {code})</source>
        <translation>导出已停止（退出码 {code}）</translation>
    </message>
    <message>
        <source>no tour to play (make one in Present &gt; Bookmarks and tours)</source>
        <translation>没有可播放的导览（请在“演示 &gt; 书签与导览”中创建）</translation>
    </message>
    <message>
        <source>tour '{tour}' has no stop to play</source>
        <translation>导览“{tour}”没有可播放的站点</translation>
    </message>
    <message>
        <source>tour '{tour}': no layer named '{layer}'</source>
        <translation>导览“{tour}”：没有名为“{layer}”的图层</translation>
    </message>
    <message>
        <source>tour '{tour}': {problem}</source>
        <translation>导览“{tour}”：{problem}</translation>
    </message>
    <message>
        <source>depth</source>
        <translation>水深</translation>
    </message>
    <message>
        <source>water_level</source>
        <translation>水位</translation>
    </message>
    <message>
        <source>excess</source>
        <translation>超出</translation>
    </message>
    <message>
        <source>height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>limit</source>
        <translation>限高</translation>
    </message>
    <message>
        <source>step {step} of {count}</source>
        <translation>第 {step} 步，共 {count} 步</translation>
    </message>
    <message>
        <source>between steps {first} and {second} ({fraction})</source>
        <translation>第 {first} 步与第 {second} 步之间（{fraction}）</translation>
    </message>
    <message>
        <source>red ≥ {level}</source>
        <translation>红色 ≥ {level}</translation>
    </message>
    <message>
        <source>orange ≥ {level}</source>
        <translation>橙色 ≥ {level}</translation>
    </message>
    <message>
        <source>grey: stale</source>
        <translation>灰色：失效</translation>
    </message>
    <message>
        <source>heat: movers per cell (≥ {n})</source>
        <translation>热度：每单元移动目标数（≥ {n}）</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>Sun hours (h)</source>
        <translation>日照时数 (h)</translation>
    </message>
    <message>
        <source>Visible (1 = seen)</source>
        <translation>可见（1 = 可见）</translation>
    </message>
    <message>
        <source>sun azimuth {azimuth:.1f}°, elevation {elevation:.1f}°</source>
        <translation>太阳方位角 {azimuth:.1f}°，高度角 {elevation:.1f}°</translation>
    </message>
    <message>
        <source>{layer}: Elevation (m)</source>
        <translation>{layer}：高程（m）</translation>
    </message>
    <message>
        <source>tile {index} failed: {error}</source>
        <translation>瓦片 {index} 失败：{error}</translation>
    </message>
    <message>
        <source>tile {index}</source>
        <translation>瓦片 {index}</translation>
    </message>
    <message>
        <source>level {level}: {name}</source>
        <translation>第 {level} 级：{name}</translation>
    </message>
    <message>
        <source>Zone being drawn</source>
        <translation>正在绘制的区域</translation>
    </message>
    <message>
        <source>frame {ms:.0f} ms</source>
        <translation>帧 {ms:.0f} ms</translation>
    </message>
    <message>
        <source>points drawn {n:,}</source>
        <translation>绘制点数 {n:,}</translation>
    </message>
    <message>
        <source>triangles drawn {n:,}</source>
        <translation>绘制三角形 {n:,}</translation>
    </message>
    <message>
        <source>tiles visited {visited:,}, selected {selected:,}, culled {culled:,}</source>
        <translation>瓦片：访问 {visited:,}，选中 {selected:,}，剔除 {culled:,}</translation>
    </message>
    <message>
        <source>tiles loaded {loaded:,}, pending {pending:,}, failed {failed:,}</source>
        <translation>瓦片：已加载 {loaded:,}，等待 {pending:,}，失败 {failed:,}</translation>
    </message>
    <message>
        <source>geometry {geometry:.1f} MiB, textures {textures:.1f} MiB, evicted {evicted:,}</source>
        <translation>几何 {geometry:.1f} MiB，纹理 {textures:.1f} MiB，淘汰 {evicted:,}</translation>
    </message>
</context>
</TS>