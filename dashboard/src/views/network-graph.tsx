// The networks drawn as a graph: networks in the left column, containers in the right, one edge
// per attachment labelled with the container's address on that network. A bipartite layout
// written by hand (two columns, rows ordered so edges cross little) is all this needs.
import type { NetworkSummary } from '../../../src/api/types/index.js';

export interface GraphNode {
  id: string;
  label: string;
  sub: string;
  x: number;
  y: number;
}
export interface GraphEdge {
  from: GraphNode;
  to: GraphNode;
  label: string;
}

const ROW = 56;
const TOP = 30;
const LEFT_X = 20;
const RIGHT_X = 460;
export const NODE_W = 200;
const NODE_H = 40;

/** The layout: pure, so the order (and with it the drawing) follows from the networks alone. */
export function layout(networks: NetworkSummary[]): { nets: GraphNode[]; containers: GraphNode[]; edges: GraphEdge[]; height: number } {
  const sorted = [...networks].sort((a, b) => a.Name.localeCompare(b.Name));
  const nets = sorted.map((n, i) => ({
    id: n.Id,
    label: n.Name,
    sub: `${n.Driver}${n.IPAM?.Config?.[0]?.Subnet ? ` · ${n.IPAM.Config[0].Subnet}` : ''}`,
    x: LEFT_X,
    y: TOP + i * ROW,
  }));
  // containers in the order of the first network they join: edges run mostly level
  const containers = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  sorted.forEach((n, i) => {
    for (const [id, e] of Object.entries(n.Containers ?? {}).sort(([, a], [, b]) => (a.Name ?? '').localeCompare(b.Name ?? ''))) {
      let c = containers.get(id);
      if (!c) {
        c = { id, label: e.Name ?? id.slice(0, 12), sub: '', x: RIGHT_X, y: TOP + containers.size * ROW };
        containers.set(id, c);
      }
      edges.push({ from: nets[i]!, to: c, label: [e.IPv4Address, e.IPv6Address].filter(Boolean).join(' ') });
    }
  });
  const height = TOP * 2 + Math.max(nets.length, containers.size, 1) * ROW;
  return { nets, containers: [...containers.values()], edges, height };
}

export function NetworkGraph(props: { networks: NetworkSummary[] }) {
  const g = layout(props.networks);
  const width = RIGHT_X + NODE_W + 20;
  return (
    <svg
      class="graph"
      data-testid="network-graph"
      viewBox={`0 0 ${width} ${g.height}`}
      width={width}
      height={g.height}
      role="img"
      aria-label="Networks and their containers"
    >
      {g.edges.map((e) => {
        const x1 = e.from.x + NODE_W;
        const y1 = e.from.y + NODE_H / 2;
        const x2 = e.to.x;
        const y2 = e.to.y + NODE_H / 2;
        const mx = (x1 + x2) / 2;
        return (
          <g key={`${e.from.id}-${e.to.id}`} class="edge" data-edge={`${e.from.label}|${e.to.label}`}>
            <path d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} />
            <text x={mx} y={(y1 + y2) / 2 - 4} text-anchor="middle">
              {e.label}
            </text>
          </g>
        );
      })}
      {g.nets.map((n) => (
        <g key={n.id} class="node net" data-node={n.label}>
          <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx={6} />
          <text x={n.x + 10} y={n.y + 17}>
            {n.label}
          </text>
          <text x={n.x + 10} y={n.y + 32} class="sub">
            {n.sub}
          </text>
        </g>
      ))}
      {g.containers.map((c) => (
        <a key={c.id} href={`#/containers/${c.id}`}>
          <g class="node ctr" data-node={c.label}>
            <rect x={c.x} y={c.y} width={NODE_W} height={NODE_H} rx={20} />
            <text x={c.x + 14} y={c.y + 25}>
              {c.label}
            </text>
          </g>
        </a>
      ))}
    </svg>
  );
}
