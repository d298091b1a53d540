"""Collectives on picklable Python objects, with `torch.distributed`'s names (mpi4py pickles them,
as PyTorch does: only exchange objects between processes of one trusted job)."""
from __future__ import annotations

from .process_group import resolve


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Every process's `object_list` becomes, element by element, world rank `src`'s
    (the list keeps its identity; it must have the same length everywhere).

    >>> box = [config if dist.get_rank() == 0 else None]; dist.broadcast_object_list(box, src=0)
    """
    from .collectives import root_rank

    pg = resolve(group)
    root = root_rank(pg, 0 if src is None and group_src is None else src, group_src, "broadcast_object_list")
    received = pg.comm.bcast(list(object_list) if pg.rank() == root else None, root=root)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {pg.ranks[root]} sent {len(received)} objects, "
                         f"but this process's list has {len(object_list)}")
    object_list[:] = received


def all_gather_object(object_list: list, obj, group=None) -> None:
    """object_list[i] becomes process i's `obj` (object_list has one slot per process)."""
    pg = resolve(group)
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} slots, expected one per "
                         f"process ({pg.size()})")
    object_list[:] = pg.comm.allgather(obj)


def gather_object(obj, object_gather_list: list | None = None, dst: int | None = None, group=None,
                  group_dst: int | None = None) -> None:
    """World rank `dst`'s object_gather_list[i] becomes process i's `obj`."""
    from .collectives import root_rank

    pg = resolve(group)
    root = root_rank(pg, 0 if dst is None and group_dst is None else dst, group_dst, "gather_object")
    gathered = pg.comm.gather(obj, root=root)
    if pg.rank() == root:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(f"gather_object: the destination needs an object_gather_list of {pg.size()} slots")
        object_gather_list[:] = gathered
